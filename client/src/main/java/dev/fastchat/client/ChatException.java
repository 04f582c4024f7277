package dev.fastchat.client;

import dev.fastchat.protocol.v1.ErrorCode;

/**
 * A request failed. {@link #code()} says why, in the protocol's terms; the message is safe to show to a
 * user. Futures of {@link ChatClient} complete exceptionally with this type.
 */
public class ChatException extends RuntimeException {
    private final ErrorCode code;

    public ChatException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ChatException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** The protocol error code: from the server, or {@code UNAVAILABLE} when the connection failed. */
    public ErrorCode code() {
        return code;
    }
}
