package dev.fastchat.server.transport;

import dev.fastchat.protocol.Envelopes;
import dev.fastchat.protocol.v1.ErrorCode;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last handler of the pipeline: sorts expected failures (a peer that resets, a frame too large or
 * malformed, a failed TLS handshake) from unexpected ones, tells the client what was wrong when it can,
 * and closes the connection.
 */
@Sharable
final class TailExceptionHandler extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(TailExceptionHandler.class);
    /** How long a WebSocket that broke the protocol stays open after its close frame went out. */
    private static final long LINGER_MILLIS = 2_000;

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!ctx.channel().isActive()) {
            return;
        }
        String id = ctx.channel().id().asShortText();
        switch (cause) {
            case TooLongFrameException e -> {
                log.debug("conn-{} sent a frame too large: {}", id, e.getMessage());
                closeWith(ctx, ErrorCode.TOO_LARGE, e.getMessage() + ": closing");
            }
            case CorruptedWebSocketFrameException e -> {
                // The close frame says why (1009 for a frame too large, 1002 else); the WebSocket decoder discards what
                // comes after, and the connection closes when the peer answers or a moment later: closed at once, the
                // rest of a large frame still arriving would reset the connection and the peer would lose the reason.
                log.debug("conn-{} sent a bad WebSocket frame: {}", id, e.getMessage());
                ctx.writeAndFlush(new CloseWebSocketFrame(e.closeStatus(), e.getMessage()));
                ctx.executor().schedule(() -> ctx.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
            }
            case CorruptedFrameException e -> {
                log.debug("conn-{} sent a malformed frame: {}", id, e.getMessage());
                closeWith(ctx, ErrorCode.BAD_REQUEST, "malformed frame: closing");
            }
            case DecoderException e when e.getCause() instanceof SSLException -> {
                log.debug("conn-{} TLS failed: {}", id, e.getCause().getMessage());
                ctx.close();
            }
            case IOException e -> {
                log.debug("conn-{} I/O error: {}", id, e.getMessage());
                ctx.close();
            }
            default -> {
                log.warn("conn-{} unexpected error; closing", id, cause);
                closeWith(ctx, ErrorCode.INTERNAL, "internal server error: closing");
            }
        }
    }

    private static void closeWith(ChannelHandlerContext ctx, ErrorCode code, String reason) {
        ctx.writeAndFlush(Envelopes.error(0, code, reason)).addListener(ChannelFutureListener.CLOSE);
    }
}
