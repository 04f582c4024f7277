package dev.fastchat.server.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;

/**
 * Takes the client's real address from the PROXY protocol header (v1 or v2, decoded by Netty's
 * {@code HAProxyMessageDecoder} before it) that a trusted load balancer sends first, so that throttles, logs
 * and the list of sessions see the client and not the balancer. Only in the pipeline of connections from
 * {@code trusted-proxies}: from anyone else, a PROXY header is just a malformed frame.
 */
final class ProxyProtocolHandler extends ChannelInboundHandlerAdapter {
    /** The client address the proxy reported, when there was one. */
    static final AttributeKey<String> CLIENT_ADDRESS = AttributeKey.valueOf("fastchat.proxied-address");

    private final ConnectionLimiter limiter;

    ProxyProtocolHandler(ConnectionLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        if (message instanceof HAProxyMessage header) {
            try {
                // LOCAL: the proxy's own health check; keep its address.
                if (header.command() == HAProxyCommand.PROXY && header.sourceAddress() != null) {
                    ctx.channel().attr(CLIENT_ADDRESS).set(header.sourceAddress());
                }
            } finally {
                ReferenceCountUtil.release(header);
                ctx.pipeline().remove(this);
            }
            NettyConnection connection = NettyConnection.of(ctx.channel());
            limiter.admit(ctx.channel(), connection != null ? connection.remoteAddress()
                    : ((java.net.InetSocketAddress) ctx.channel().remoteAddress()).getAddress().getHostAddress());
            return;
        }
        ctx.fireChannelRead(message);
    }
}
