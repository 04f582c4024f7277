package dev.fastchat.protocol;

import dev.fastchat.protocol.v1.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * An envelope serialized once, for many connections: a push to every session of a group's members is encoded once, and
 * each connection writes a view of the same (direct) buffer instead of serializing and copying it again.
 *
 * <p>Reference counted: {@link #of} holds one reference, each {@link #share()} hands out another
 * (released by the channel that writes it), and {@link #release()} gives up the first. Thread-safe.
 */
public final class EncodedEnvelope {
    private final Envelope envelope;
    /** The 4-byte length prefix, then the serialized envelope. */
    private final ByteBuf frame;

    private EncodedEnvelope(Envelope envelope, ByteBuf frame) {
        this.envelope = envelope;
        this.frame = frame;
    }

    /**
     * Serializes {@code envelope} once, with its length prefix, into a direct buffer of its own: unpooled, as the
     * server's connections' buffers are. (Netty's default pooled allocator would be set up by the first push a server
     * makes, at a cost of some 60 ms there, and would keep its chunks for pushes alone.)
     */
    public static EncodedEnvelope of(Envelope envelope) {
        int size = envelope.getSerializedSize();
        ByteBuf frame = UnpooledByteBufAllocator.DEFAULT.directBuffer(FrameLimits.LENGTH_PREFIX_BYTES + size);
        try (ByteBufOutputStream out = new ByteBufOutputStream(frame)) {
            frame.writeInt(size);
            envelope.writeTo(out);
        } catch (IOException | RuntimeException e) {
            frame.release();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
        return new EncodedEnvelope(envelope, frame);
    }

    /** The envelope itself. */
    public Envelope envelope() {
        return envelope;
    }

    /** Bytes on the wire with the length prefix. */
    public int frameBytes() {
        return frame.readableBytes();
    }

    /**
     * A new reference to the framed bytes in a message for one channel to write: taken now, on the caller's thread (the
     * channel may encode it later, after the caller released its own), and released by the channel whether the write
     * succeeds or fails.
     */
    public Shared share() {
        return new Shared(frame.retainedDuplicate(), envelope);
    }

    /** One channel's reference to the framed bytes of an {@link EncodedEnvelope}. */
    public static final class Shared extends DefaultByteBufHolder {
        private final Envelope envelope;

        private Shared(ByteBuf frame, Envelope envelope) {
            super(frame);
            this.envelope = envelope;
        }

        /** The envelope itself. */
        public Envelope envelope() {
            return envelope;
        }

        /** A new reference to the envelope's bytes without the length prefix (a WebSocket frame carries its own). */
        public ByteBuf payload() {
            return content().retainedSlice(content().readerIndex() + FrameLimits.LENGTH_PREFIX_BYTES,
                    content().readableBytes() - FrameLimits.LENGTH_PREFIX_BYTES);
        }
    }

    /** Gives up the reference {@link #of} holds; the buffer goes when the last connection has written it. */
    public void release() {
        frame.release();
    }
}
