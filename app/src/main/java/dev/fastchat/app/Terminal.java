package dev.fastchat.app;

/** Text from other users as it may be printed on a terminal. */
final class Terminal {
    private Terminal() {}

    /**
     * Makes control characters visible instead of letting the terminal act on them: a message cannot move
     * the cursor, change colours or fake other lines. Newlines and tabs become {@code \n} and {@code \t};
     * other control characters (ESC included) {@code \x1b} style escapes.
     */
    static String escape(String text) {
        StringBuilder escaped = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (c == '\n') {
                escaped.append("\\n");
            } else if (c == '\t') {
                escaped.append("\\t");
            } else if (c == '\\') {
                escaped.append("\\\\");
            } else if (Character.getType(c) == Character.CONTROL || c == 0x2028 || c == 0x2029
                    || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069)) {
                escaped.append(String.format("\\x{%x}", c));
            } else {
                escaped.appendCodePoint(c);
            }
        });
        return escaped.toString();
    }
}
