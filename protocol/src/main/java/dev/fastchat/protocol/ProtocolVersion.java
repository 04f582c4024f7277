package dev.fastchat.protocol;

/** The wire protocol version carried in {@code Hello}. A server answers any other version with {@code UNSUPPORTED_VERSION}. */
public final class ProtocolVersion {
    /** The version this build speaks. */
    public static final int CURRENT = 1;

    private ProtocolVersion() {}

    /** Whether a server of this build serves a client that speaks {@code version}. */
    public static boolean isSupported(int version) {
        return version == CURRENT;
    }
}
