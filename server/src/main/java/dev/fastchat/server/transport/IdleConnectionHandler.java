package dev.fastchat.server.transport;

import dev.fastchat.protocol.Envelopes;
import dev.fastchat.protocol.v1.ErrorCode;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection that has sent nothing (not even a Ping) for the idle timeout, telling the client why. Not while
 * the server itself does not read it (its requests or replies wait, or the node serves as many requests as it may):
 * then what it sent waits unread in its socket.
 */
final class IdleConnectionHandler extends IdleStateHandler {
    private final Duration timeout;

    IdleConnectionHandler(Duration timeout) {
        super(timeout.toMillis(), 0, 0, TimeUnit.MILLISECONDS);
        this.timeout = timeout;
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent event) {
        if (event.state() == IdleState.READER_IDLE && ctx.channel().config().isAutoRead()) {
            // From the tail of the pipeline, so the envelope passes the encoder that sits after this handler.
            ctx.channel().writeAndFlush(Envelopes.error(0, ErrorCode.UNAVAILABLE,
                    "no data for " + timeout.toSeconds() + " s: closing (clients send Ping to stay connected)"))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }
}
