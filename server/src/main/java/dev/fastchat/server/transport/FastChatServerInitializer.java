package dev.fastchat.server.transport;

import dev.fastchat.protocol.EncodedEnvelopeEncoder;
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
 * guard -> framing -> envelopes -> dispatcher -> tail. With the web client on, the framing is chosen by the first
 * bytes ({@link ProtocolSniffer}): length-prefixed frames for native clients; HTTP, then a WebSocket, for browsers.
 */
final class FastChatServerInitializer extends ChannelInitializer<SocketChannel> {
    private static final EnvelopeEncoder ENCODER = new EnvelopeEncoder();
    private static final EncodedEnvelopeEncoder SHARED_ENCODER = new EncodedEnvelopeEncoder();

    private final Optional<SslContext> tls;
    private final LimitsConfig limits;
    private final EnvelopeHandler envelopes;
    private final TailExceptionHandler tail;
    private final ChannelGroup channels;

    private final ConnectionLimiter limiter;
    private final RequestDispatcher dispatcher;
    private final ReplyBudget budget;
    /** Serves the web client's files; empty when the web client is off. */
    private final Optional<WebHandler> web;

    FastChatServerInitializer(Optional<SslContext> tls, LimitsConfig limits, RequestDispatcher dispatcher, ChannelGroup channels,
                              Optional<WebContent> web) {
        this.tls = tls;
        this.limits = limits;
        this.limiter = new ConnectionLimiter(limits);
        this.dispatcher = dispatcher;
        this.budget = new ReplyBudget(limits.maxQueuedBytes());
        this.envelopes = new EnvelopeHandler(dispatcher, limits, limiter, budget);
        this.tail = new TailExceptionHandler();
        this.channels = channels;
        this.web = web.map(WebHandler::new);
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
        if (web.isPresent()) {
            pipeline.addLast("sniffer", new ProtocolSniffer(limits.maxFrameBytes(), limits.maxLoginFrameBytes(), web.get()));
        } else {
            pipeline.addLast("decoder", new ServerFrameDecoder(limits.maxFrameBytes(), limits.maxLoginFrameBytes()));
        }
        pipeline.addLast("encoder", ENCODER);
        pipeline.addLast("shared-encoder", SHARED_ENCODER);
        pipeline.addLast("envelopes", envelopes);
        pipeline.addLast("tail", tail);
    }
}
