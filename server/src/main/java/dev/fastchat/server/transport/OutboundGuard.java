package dev.fastchat.server.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a client that does not read from making the server buffer without bound. Past the channel's high
 * write-buffer watermark the client is paused: its requests are not read, so it cannot ask for more, until
 * it has read down to the low watermark. (Its requests already read wait too: {@link NettyConnection}.) A client
 * paused for {@code slow-reader-timeout} is closed. (The bytes all clients have waiting are bounded by
 * {@link ReplyBudget}.)
 *
 * <p>A connection the server does not read is not read by a handler behind this one either: a decoder asks for a read
 * when it has an unfinished frame and the channel does not read by itself, and the frames it would get stay in the socket.
 */
final class OutboundGuard extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(OutboundGuard.class);

    private final Duration slowReaderTimeout;
    private ScheduledFuture<?> closeIfStillPaused;

    OutboundGuard(Duration slowReaderTimeout) {
        this.slowReaderTimeout = slowReaderTimeout;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        boolean writable = ctx.channel().isWritable();
        NettyConnection connection = NettyConnection.of(ctx.channel());
        if (connection != null) {
            connection.readsReplies(writable); // not read while it does not read
        }
        if (writable) {
            if (closeIfStillPaused != null) {
                closeIfStillPaused.cancel(false);
                closeIfStillPaused = null;
            }
        } else if (closeIfStillPaused == null) {
            closeIfStillPaused = ctx.executor().schedule(() -> {
                if (ctx.channel().isOpen() && !ctx.channel().isWritable()) {
                    log.info("conn-{} closed: it has not read its replies for {} s", ctx.channel().id().asShortText(),
                            slowReaderTimeout.toSeconds());
                    ctx.close();
                }
            }, slowReaderTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (ctx.channel().config().isAutoRead()) {
            ctx.read();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (closeIfStillPaused != null) {
            closeIfStillPaused.cancel(false);
        }
        super.channelInactive(ctx);
    }
}
