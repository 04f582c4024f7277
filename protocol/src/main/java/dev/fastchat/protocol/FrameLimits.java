package dev.fastchat.protocol;

/**
 * Size limits of the TCP framing: a 4-byte big-endian length prefix followed by one serialized
 * {@code Envelope}.
 */
public final class FrameLimits {
    /** Bytes of the length prefix. */
    public static final int LENGTH_PREFIX_BYTES = 4;
    /** Default maximum frame body (1 MiB). */
    public static final int DEFAULT_MAX_FRAME_BYTES = 1 << 20;
    /** The smallest maximum a server accepts in its configuration. */
    public static final int MIN_MAX_FRAME_BYTES = 4 << 10;
    /** The largest maximum a server accepts in its configuration. */
    public static final int MAX_MAX_FRAME_BYTES = 16 << 20;

    private FrameLimits() {}
}
