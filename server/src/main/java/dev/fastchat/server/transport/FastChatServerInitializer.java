package dev.fastchat.server.transport;

import dev.fastchat.protocol.EnvelopeEncoder;
import dev.fastchat.server.config.LimitsConfig;
import dev.fastchat.server.session.RequestDispatcher;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import java.util.Optional;

/**
 * Assembles the pipeline of a client connection: [PROXY header, from trusted proxies] -> [TLS] -> idle -> outbound
 * guard -> framing -> envelopes -> dispatcher -> tail.
 */
final class FastChatServerInitializer extends ChannelInitializer<SocketChannel> {
    private static final EnvelopeEncoder ENCODER = new EnvelopeEncoder();

    private final Optional<SslContext> tls;
    private final LimitsConfig limits;
    private final EnvelopeHandler envelopes;
    private final TailExceptionHandler tail;
    private final ChannelGroup channels;

    private final ConnectionLimiter limiter;
    private final RequestDispatcher dispatcher;
    private final ReplyBudget budget;

    FastChatServerInitializer(Optional<SslContext> tls, LimitsConfig limits, RequestDispatcher dispatcher, ChannelGroup channels) {
        this.tls = tls;
        this.limits = limits;
        this.limiter = new ConnectionLimiter(limits);
        this.dispatcher = dispatcher;
        this.budget = new ReplyBudget(limits.maxQueuedBytes());
        this.envelopes = new EnvelopeHandler(dispatcher, limits, limiter, budget);
        this.tail = new TailExceptionHandler();
        this.channels = channels;
    }

    /** Reply bytes queued for all clients and not yet sent. */
    long queuedBytes() {
        return budget.queued();
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        channels.add(channel);
        ChannelPipeline pipeline = channel.pipeline();
        if (channel.remoteAddress() != null && limits.trustedProxies().contains(channel.remoteAddress().getAddress().getHostAddress())) {
            pipeline.addLast("proxy-protocol", new io.netty.handler.codec.haproxy.HAProxyMessageDecoder());
            pipeline.addLast("proxied-address", new ProxyProtocolHandler(limiter));
        }
        tls.ifPresent(context -> pipeline.addLast("tls", context.newHandler(channel.alloc())));
        pipeline.addLast("idle", new IdleConnectionHandler(limits.idleTimeout()));
        pipeline.addLast("outbound-guard", new OutboundGuard(limits.slowReaderTimeout()));
        pipeline.addLast("decoder", new ServerFrameDecoder(limits.maxFrameBytes(), limits.maxLoginFrameBytes()));
        pipeline.addLast("encoder", ENCODER);
        pipeline.addLast("envelopes", envelopes);
        pipeline.addLast("tail", tail);
    }
}
