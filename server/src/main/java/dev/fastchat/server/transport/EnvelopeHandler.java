package dev.fastchat.server.transport;

import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.server.session.RequestDispatcher;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Hands every decoded envelope to the dispatcher, on the event loop; the dispatcher never blocks. */
@Sharable
final class EnvelopeHandler extends SimpleChannelInboundHandler<Envelope> {
    private static final Logger log = LoggerFactory.getLogger(EnvelopeHandler.class);

    private final RequestDispatcher dispatcher;
    private final int maxInflightRequests;

    EnvelopeHandler(RequestDispatcher dispatcher, int maxInflightRequests) {
        this.dispatcher = dispatcher;
        this.maxInflightRequests = maxInflightRequests;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        NettyConnection connection = new NettyConnection(ctx.channel(), maxInflightRequests);
        ctx.channel().attr(NettyConnection.KEY).set(connection);
        log.debug("{} opened from {}", connection.id(), connection.remoteAddress());
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        NettyConnection connection = NettyConnection.of(ctx.channel());
        if (connection != null) {
            log.debug("{} closed", connection.id());
            dispatcher.closed(connection);
        }
        super.channelInactive(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Envelope envelope) {
        dispatcher.dispatch(NettyConnection.of(ctx.channel()), envelope);
    }
}
