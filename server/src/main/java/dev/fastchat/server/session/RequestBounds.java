package dev.fastchat.server.session;

import dev.fastchat.protocol.v1.ErrorCode;

/**
 * Reads the numbers of a request as what the protocol says they are. Protobuf's {@code uint32} and
 * {@code uint64} arrive in Java's signed {@code int} and {@code long}: 2^31 and above would read as negative
 * numbers and slip past a {@code Math.min} (a limit of -1 means "no limit" to SQLite). Every numeric field of a
 * request goes through one of these before it is used.
 */
public final class RequestBounds {
    private RequestBounds() {}

    /** A page size: 0 means {@code whenZero}; anything above {@code max} (read unsigned) is {@code max}. */
    public static int limit(int raw, int whenZero, int max) {
        if (raw == 0) {
            return whenZero;
        }
        return (int) Math.min(Integer.toUnsignedLong(raw), max);
    }

    /** A {@code uint64} sequence number; those at or above 2^63 (no conversation has them) read as the largest. */
    public static long seq(long raw) {
        return raw < 0 ? Long.MAX_VALUE : raw;
    }

    /** A {@code uint32} index (a file chunk); one at or above 2^31 is refused. */
    public static int index(int raw, String field) {
        if (raw < 0) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, field + " " + Integer.toUnsignedString(raw) + " is out of range");
        }
        return raw;
    }

    /** A {@code uint64} size in bytes; one at or above 2^63 is refused as too large. */
    public static long size(long raw, String field) {
        if (raw < 0) {
            throw new RequestRefusedException(ErrorCode.TOO_LARGE, field + " " + Long.toUnsignedString(raw) + " is too large");
        }
        return raw;
    }
}
