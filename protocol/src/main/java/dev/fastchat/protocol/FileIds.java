package dev.fastchat.protocol;

import java.util.regex.Pattern;

/** File ids: 16 random bytes the server picks, written as 32 lower-case hex digits. */
public final class FileIds {
    private static final Pattern FORM = Pattern.compile("[0-9a-f]{32}");

    private FileIds() {}

    /** Whether {@code text} is a file id (and so safe to print and to use in a request). */
    public static boolean isValid(String text) {
        return text != null && FORM.matcher(text).matches();
    }
}
