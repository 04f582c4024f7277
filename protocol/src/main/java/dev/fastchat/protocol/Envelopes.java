package dev.fastchat.protocol;

import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.Error;
import dev.fastchat.protocol.v1.ErrorCode;

/** Small constructors for common envelopes. */
public final class Envelopes {
    private Envelopes() {}

    /** An {@code Error} response to {@code requestId} (0 for a push). */
    public static Envelope error(long requestId, ErrorCode code, String reason) {
        return Envelope.newBuilder()
                .setRequestId(requestId)
                .setError(Error.newBuilder().setCode(code).setReason(reason))
                .build();
    }
}
