package dev.fastchat.protocol;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Rules for user and group names: {@code [a-z0-9][a-z0-9_.-]{2,31}} after case folding, so "Alice" and
 * "alice" are the same name. Shared by client and server so both reject the same names.
 */
public final class Names {
    private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9_.-]{2,31}");
    /** The longest input worth folding; longer ones are rejected without work. */
    private static final int MAX_INPUT = 64;

    private Names() {}

    /** The canonical form of {@code name}, or empty if it is not a valid name. */
    public static Optional<String> canonical(String name) {
        if (name == null || name.length() > MAX_INPUT || !name.chars().allMatch(c -> c < 0x80)) {
            // Non-ASCII input is rejected before folding: some letters (the Kelvin sign) fold to ASCII.
            return Optional.empty();
        }
        String folded = name.toLowerCase(Locale.ROOT);
        return VALID.matcher(folded).matches() ? Optional.of(folded) : Optional.empty();
    }

    /** A name as it may be echoed in an error: at most 40 characters, control characters replaced. */
    public static String printable(String name) {
        String shortened = name.length() > 40 ? name.substring(0, 40) + "..." : name;
        return shortened.replaceAll("[\\p{Cntrl}\\x{80}-\\x{9f}]", "?"); // C0, DEL and C1 (8-bit CSI)
    }

    /** A one-line explanation of the rule, for error messages. */
    public static String rule() {
        return "3 to 32 characters: letters a-z, digits, '_', '.' or '-', starting with a letter or digit";
    }
}
