package dev.fastchat.server.transport;

import dev.fastchat.protocol.EnvelopeDecoder;
import io.netty.channel.ChannelHandlerContext;

/**
 * The envelope decoder of a client connection: frames up to {@code max-login-frame-bytes} until the client
 * has logged in (Hello, Register and Login are small), up to {@code max-frame-bytes} after. A peer that has
 * not logged in cannot make the server hold a large half-sent frame.
 */
final class ServerFrameDecoder extends EnvelopeDecoder {
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
}
