package dev.fastchat.protocol;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.fastchat.protocol.v1.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;

/**
 * Splits the byte stream into length-prefixed frames and parses each into an {@link Envelope}.
 *
 * <p>A frame longer than the maximum fails fast with {@link TooLongFrameException} as soon as its
 * length prefix arrives, before its body is buffered; a body that is not a valid Envelope fails with
 * {@link CorruptedFrameException}. Both are fatal for the connection: the pipeline's exception handler
 * answers with an {@code Error} and closes.
 */
public class EnvelopeDecoder extends LengthFieldBasedFrameDecoder {
    private final int maxFrameBytes;

    /** @param maxFrameBytes the largest accepted frame body, without its length prefix */
    public EnvelopeDecoder(int maxFrameBytes) {
        this.maxFrameBytes = maxFrameBytes;
        super(maxFrameBytes + FrameLimits.LENGTH_PREFIX_BYTES, 0, FrameLimits.LENGTH_PREFIX_BYTES, 0,
                FrameLimits.LENGTH_PREFIX_BYTES, true);
    }

    /**
     * The largest frame body accepted now, at most the maximum given at construction: a peer may be held to
     * a smaller limit for a while (a server does, until the client has logged in).
     */
    protected int frameLimit(ChannelHandlerContext ctx) {
        return maxFrameBytes;
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        if (in.readableBytes() >= FrameLimits.LENGTH_PREFIX_BYTES) {
            int limit = Math.min(frameLimit(ctx), maxFrameBytes);
            long length = in.getUnsignedInt(in.readerIndex());
            if (length > limit) {
                in.skipBytes(in.readableBytes());
                throw new TooLongFrameException("frame of " + length + " bytes over the limit of " + limit + " bytes");
            }
        }
        ByteBuf frame = (ByteBuf) super.decode(ctx, in);
        if (frame == null) {
            return null;
        }
        try {
            return Envelope.parseFrom(frame.nioBuffer());
        } catch (InvalidProtocolBufferException e) {
            throw new CorruptedFrameException("frame is not a valid Envelope (" + frame.readableBytes() + " bytes)", e);
        } finally {
            frame.release();
        }
    }
}
