package dev.fastchat.protocol;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Writes a channel's share of an {@link EncodedEnvelope} as its framed bytes: a view of the shared buffer, neither
 * serialized nor copied.
 */
@Sharable
public final class EncodedEnvelopeEncoder extends MessageToMessageEncoder<EncodedEnvelope.Shared> {

    public EncodedEnvelopeEncoder() {
        super(EncodedEnvelope.Shared.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, EncodedEnvelope.Shared msg, List<Object> out) {
        out.add(msg.content().retain()); // the encoder releases msg after this
    }
}
