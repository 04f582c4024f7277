package dev.fastchat.server.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a client that does not read from making the server buffer without bound. Past the channel's high
 * write-buffer watermark the client is paused: its requests are not read, so it cannot ask for more, until
 * it has read down to the low watermark. A client paused for {@code slow-reader-timeout} is closed, and so
 * is a paused client written to while the replies queued for all clients together are over
 * {@code max-queued-bytes}. Sits below the encoder, where replies are bytes.
 */
final class OutboundGuard extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(OutboundGuard.class);

    private final AtomicLong queuedForAll;
    private final long maxQueuedBytes;
    private final Duration slowReaderTimeout;
    private ScheduledFuture<?> closeIfStillPaused;

    /** @param queuedForAll bytes written to any client and not yet sent, shared by every connection */
    OutboundGuard(AtomicLong queuedForAll, long maxQueuedBytes, Duration slowReaderTimeout) {
        this.queuedForAll = queuedForAll;
        this.maxQueuedBytes = maxQueuedBytes;
        this.slowReaderTimeout = slowReaderTimeout;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) {
        if (!(message instanceof ByteBuf bytes)) {
            ctx.write(message, promise);
            return;
        }
        long size = bytes.readableBytes();
        if (!ctx.channel().isWritable() && queuedForAll.get() + size > maxQueuedBytes) {
            ReferenceCountUtil.release(message);
            promise.tryFailure(new java.nio.channels.ClosedChannelException());
            if (ctx.channel().isOpen()) {
                log.info("conn-{} closed: it does not read its replies and the server's send buffers are full ({} bytes)",
                        ctx.channel().id().asShortText(), queuedForAll.get());
                ctx.close();
            }
            return;
        }
        queuedForAll.addAndGet(size);
        ChannelPromise counted = promise.unvoid();
        counted.addListener(done -> queuedForAll.addAndGet(-size));
        ctx.write(message, counted);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        boolean writable = ctx.channel().isWritable();
        ctx.channel().config().setAutoRead(writable);
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
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (closeIfStillPaused != null) {
            closeIfStillPaused.cancel(false);
        }
        super.channelInactive(ctx);
    }
}
