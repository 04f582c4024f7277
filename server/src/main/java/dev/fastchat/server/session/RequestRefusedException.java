package dev.fastchat.server.session;

import dev.fastchat.protocol.v1.ErrorCode;

/** A service refuses a request; the client gets an {@code Error} with this code and reason. */
public class RequestRefusedException extends RuntimeException {
    private final ErrorCode code;
    private final java.time.Duration retryAfter;

    public RequestRefusedException(ErrorCode code, String reason) {
        this(code, reason, java.time.Duration.ZERO);
    }

    /** A refusal that says how long to wait before trying again ({@code RATE_LIMITED}). */
    public RequestRefusedException(ErrorCode code, String reason, java.time.Duration retryAfter) {
        super(reason, null, false, false);
        this.code = code;
        this.retryAfter = retryAfter;
    }

    public ErrorCode code() {
        return code;
    }

    /** How long to wait before trying again; zero when the refusal does not say. */
    public java.time.Duration retryAfter() {
        return retryAfter;
    }
}
