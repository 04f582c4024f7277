package dev.fastchat.server.transport;

import dev.fastchat.protocol.EnvelopeDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;

/**
 * The envelope decoder of a client connection: frames up to {@code max-login-frame-bytes} until the client
 * has logged in (Hello, Register and Login are small), up to {@code max-frame-bytes} after. A peer that has
 * not logged in cannot make the server hold a large half-sent frame.
 *
 * <p>While the server does not read the connection ({@link NettyConnection}: its requests, its replies or the node's
 * requests in flight are at their bounds), nothing more is decoded either: what one read brought past the bound stays
 * bytes, not requests, until {@link #DECODE_WAITING} comes when the connection is read again.
 */
final class ServerFrameDecoder extends EnvelopeDecoder {
    /** The event that decodes what waits, fired when the server reads a connection again (it may send nothing more). */
    static final Object DECODE_WAITING = new Object() {
        @Override
        public String toString() {
            return "decode what waits";
        }
    };

    private final int maxLoginFrameBytes;

    ServerFrameDecoder(int maxFrameBytes, int maxLoginFrameBytes) {
        super(maxFrameBytes);
        this.maxLoginFrameBytes = maxLoginFrameBytes;
    }

    @Override
    protected int frameLimit(ChannelHandlerContext ctx) {
        NettyConnection connection = NettyConnection.of(ctx.channel());
        return connection != null && connection.state().loggedIn().isPresent() ? super.frameLimit(ctx) : maxLoginFrameBytes;
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        return ctx.channel().config().isAutoRead() ? super.decode(ctx, in) : null;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event != DECODE_WAITING) {
            super.userEventTriggered(ctx, event);
        } else if (ctx.channel().config().isAutoRead()) {
            channelRead(ctx, Unpooled.EMPTY_BUFFER); // decodes the frames already read
            channelReadComplete(ctx);
        }
    }
}
