package dev.fastchat.client;

import dev.fastchat.protocol.v1.ErrorCode;

/**
 * A request failed. {@link #code()} says why, in the protocol's terms; the message is safe to show to a
 * user. Futures of {@link ChatClient} complete exceptionally with this type.
 */
public class ChatException extends RuntimeException {
    private final ErrorCode code;
    private final boolean local;

    public ChatException(ErrorCode code, String message) {
        this(code, message, null, false);
    }

    public ChatException(ErrorCode code, String message, Throwable cause) {
        this(code, message, cause, false);
    }

    private ChatException(ErrorCode code, String message, Throwable cause, boolean local) {
        super(message, cause);
        this.code = code;
        this.local = local;
    }

    /**
     * A request refused on this machine before anything was sent: a name that breaks the rules, a text over the
     * limit, a file that cannot be read (the server was not asked).
     */
    public static ChatException local(ErrorCode code, String message) {
        return new ChatException(code, message, null, true);
    }

    /** {@link #local(ErrorCode, String)} with a cause. */
    public static ChatException local(ErrorCode code, String message, Throwable cause) {
        return new ChatException(code, message, cause, true);
    }

    /** Whether this was refused on this machine, before the server was asked (bad input rather than a refusal). */
    public boolean local() {
        return local;
    }

    /** The protocol error code: from the server, or {@code UNAVAILABLE} when the connection failed. */
    public ErrorCode code() {
        return code;
    }
}
