package dev.fastchat.server.session;

import dev.fastchat.protocol.v1.ErrorCode;

/** A service refuses a request; the client gets an {@code Error} with this code and reason. */
public class RequestRefusedException extends RuntimeException {
    private final ErrorCode code;

    public RequestRefusedException(ErrorCode code, String reason) {
        super(reason, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
