package dev.fastchat.server.transport;

import dev.fastchat.protocol.Envelopes;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.server.config.LimitsConfig;
import dev.fastchat.server.session.RequestDispatcher;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Hands every decoded envelope to the dispatcher, on the event loop; the dispatcher never blocks. */
@Sharable
final class EnvelopeHandler extends SimpleChannelInboundHandler<Envelope> {
    private static final Logger log = LoggerFactory.getLogger(EnvelopeHandler.class);

    private final RequestDispatcher dispatcher;
    private final LimitsConfig limits;
    private final ConnectionLimiter limiter;
    private final Duration loginTimeout;
    private final ReplyBudget budget;

    EnvelopeHandler(RequestDispatcher dispatcher, LimitsConfig limits, ConnectionLimiter limiter, ReplyBudget budget) {
        this.dispatcher = dispatcher;
        this.limits = limits;
        this.limiter = limiter;
        this.loginTimeout = limits.loginTimeout();
        this.budget = budget;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        NettyConnection connection = new NettyConnection(ctx.channel(), limits.maxInflightRequests(), budget, dispatcher,
                limits.writeBufferHighBytes(), limits.writeBufferLowBytes());
        ctx.channel().attr(NettyConnection.KEY).set(connection);
        log.debug("{} opened from {}", connection.id(), connection.remoteAddress());
        // Behind a trusted proxy the client's address is known once the PROXY header is read: counted then.
        if (ctx.pipeline().get(ProxyProtocolHandler.class) == null && !limiter.admit(ctx.channel(), connection.remoteAddress())) {
            return;
        }
        closeIfNotLoggedIn(ctx, connection, loginTimeout.toMillis());
        super.channelActive(ctx);
    }

    /**
     * After {@code delay}, closes the connection unless it has logged in; a log-in being served then (a slow
     * database) gets a second more, and again, so that it is not cut off half-done.
     */
    private void closeIfNotLoggedIn(ChannelHandlerContext ctx, NettyConnection connection, long delay) {
        // Cancelled when the connection closes: a pending task would keep the closed channel in memory.
        var deadline = ctx.executor().schedule(() -> {
            if (!ctx.channel().isActive() || connection.state().loggedIn().isPresent()) {
                return;
            }
            if (connection.state().serving()) {
                closeIfNotLoggedIn(ctx, connection, 1_000);
                return;
            }
            log.debug("{} did not log in within {} s: closing", connection.id(), loginTimeout.toSeconds());
            connection.close(Envelopes.error(0, ErrorCode.UNAUTHENTICATED,
                    "not logged in within " + loginTimeout.toSeconds() + " s: closing"));
        }, delay, TimeUnit.MILLISECONDS);
        ctx.channel().closeFuture().addListener(closed -> deadline.cancel(false));
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
