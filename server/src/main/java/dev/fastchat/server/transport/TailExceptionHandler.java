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
import java.io.IOException;
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
