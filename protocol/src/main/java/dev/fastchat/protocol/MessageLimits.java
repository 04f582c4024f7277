package dev.fastchat.protocol;

/** Size limits of messages, shared by client and server so both refuse the same things. */
public final class MessageLimits {
    /** The longest text message, in UTF-8 bytes (64 KiB). */
    public static final int MAX_TEXT_BYTES = 64 << 10;
    /** The largest reaction, in bytes of UTF-8: one emoji (a few code points joined) or a short text. */
    public static final int MAX_REACTION_BYTES = 32;
    /**
     * The largest padded content a sealed body may hold: a maximal text plus its framing, rounded up to the
     * padding granularity. Bodies above this are refused with {@code TOO_LARGE}.
     */
    public static final int MAX_PADDED_CONTENT_BYTES = MAX_TEXT_BYTES + 256;
    /** The longest client message id. */
    public static final int MAX_CLIENT_MSG_ID_CHARS = 64;
    /** History pages: default and maximum size. */
    public static final int DEFAULT_HISTORY_PAGE = 50;
    public static final int MAX_HISTORY_PAGE = 200;
    /** Sync batches: maximum size. */
    public static final int MAX_SYNC_BATCH = 500;
    /**
     * Sealed bytes after which a history page or sync batch ends early (with {@code more} set), so that no
     * answer holds more than about this much, however large the messages.
     */
    public static final int PAGE_BYTES = 1 << 20;
    /** Directory pages: default and maximum size. */
    public static final int DEFAULT_DIRECTORY_PAGE = 100;
    public static final int MAX_DIRECTORY_PAGE = 500;
    /** Most users in one key lookup. */
    public static final int MAX_KEY_LOOKUP = 1024;

    private MessageLimits() {}
}
