package dev.fastchat.protocol;

import dev.fastchat.protocol.v1.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** Writes an {@link Envelope} as a 4-byte big-endian length followed by its serialized bytes. Stateless. */
@Sharable
public final class EnvelopeEncoder extends MessageToByteEncoder<Envelope> {

    public EnvelopeEncoder() {
        super(Envelope.class);
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Envelope msg, boolean preferDirect) {
        int size = FrameLimits.LENGTH_PREFIX_BYTES + msg.getSerializedSize();
        return preferDirect ? ctx.alloc().ioBuffer(size) : ctx.alloc().heapBuffer(size);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Envelope msg, ByteBuf out) throws Exception {
        out.writeInt(msg.getSerializedSize());
        try (ByteBufOutputStream stream = new ByteBufOutputStream(out)) {
            msg.writeTo(stream);
        }
    }
}
