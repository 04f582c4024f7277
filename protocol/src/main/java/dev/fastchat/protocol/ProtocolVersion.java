package dev.fastchat.protocol;

/** The wire protocol version carried in {@code Hello}. A server answers any other version with {@code UNSUPPORTED_VERSION}. */
public final class ProtocolVersion {
    /** The version this build speaks. */
    public static final int CURRENT = 1;

    /**
     * The version of sealed messages' headers that clients write and servers store: 2, with a key commitment.
     * Version 1 (without) is still opened, for history, but no longer accepted for new messages.
     */
    public static final int SEALED_MESSAGE = 2;

    /**
     * The version of the headers of messages sealed in a sender chain (once, under the chain's message key, with no
     * recipient list). Announcements of chains, and messages of clients before chains, are {@link #SEALED_MESSAGE}.
     */
    public static final int CHAIN_MESSAGE = 3;

    private ProtocolVersion() {}

    /** Whether a server of this build serves a client that speaks {@code version}. */
    public static boolean isSupported(int version) {
        return version == CURRENT;
    }
}
