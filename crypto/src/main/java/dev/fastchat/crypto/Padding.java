package dev.fastchat.crypto;

import dev.fastchat.protocol.MessageLimits;
import java.util.Arrays;

/**
 * Length hiding for message content: {@code content || 0x80 || 0x00...} (ISO/IEC 7816-4) up to a bucket.
 * Buckets are powers of two from 128 bytes to 4 KiB, then multiples of 4 KiB, capped at
 * {@link MessageLimits#MAX_PADDED_CONTENT_BYTES}; so an observer learns the size class, not the size.
 */
final class Padding {
    private static final int SMALLEST = 128;
    private static final int STEP = 4096;

    private Padding() {}

    static int paddedLength(int contentLength) {
        int needed = contentLength + 1;
        int bucket = needed <= STEP
                ? Math.max(SMALLEST, Integer.highestOneBit(needed - 1) << 1)
                : ((needed + STEP - 1) / STEP) * STEP;
        return Math.min(bucket, MessageLimits.MAX_PADDED_CONTENT_BYTES);
    }

    /** Pads {@code content}; fails with TOO_LARGE when it does not fit the largest bucket. */
    static byte[] pad(byte[] content) {
        if (content.length + 1 > MessageLimits.MAX_PADDED_CONTENT_BYTES) {
            throw new OpenException(OpenException.Reason.TOO_LARGE, "content of " + content.length
                    + " bytes is over the limit of " + (MessageLimits.MAX_PADDED_CONTENT_BYTES - 1));
        }
        byte[] padded = Arrays.copyOf(content, paddedLength(content.length));
        padded[content.length] = (byte) 0x80;
        return padded;
    }

    static byte[] unpad(byte[] padded) {
        int end = padded.length - 1;
        while (end >= 0 && padded[end] == 0) {
            end--;
        }
        if (end < 0 || padded[end] != (byte) 0x80) {
            throw new OpenException(OpenException.Reason.MALFORMED, "content padding is malformed");
        }
        return Arrays.copyOf(padded, end);
    }
}
