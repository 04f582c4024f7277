package dev.fastchat.app;

import java.util.Locale;

/** Byte counts for people. */
final class Sizes {
    private Sizes() {}

    /** {@code 512 B}, {@code 1.5 KiB}, {@code 25.0 MiB}. */
    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }
}
