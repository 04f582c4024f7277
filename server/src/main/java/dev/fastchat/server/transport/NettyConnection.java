package dev.fastchat.server.transport;

import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.server.session.Connection;
import dev.fastchat.server.session.ConnectionState;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** A {@link Connection} on a Netty channel. Writes are thread-safe and never block. */
final class NettyConnection implements Connection {
    static final AttributeKey<NettyConnection> KEY = AttributeKey.valueOf("fastchat.connection");

    private final Channel channel;
    private final ConnectionState state;
    private final String id;

    NettyConnection(Channel channel, int maxInflightRequests) {
        this.channel = channel;
        this.state = new ConnectionState(maxInflightRequests);
        this.id = "conn-" + channel.id().asShortText();
    }

    static NettyConnection of(Channel channel) {
        return channel.attr(KEY).get();
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String remoteAddress() {
        String proxied = channel.attr(ProxyProtocolHandler.CLIENT_ADDRESS).get();
        if (proxied != null) {
            return proxied;
        }
        SocketAddress address = channel.remoteAddress();
        return address instanceof InetSocketAddress inet ? inet.getAddress().getHostAddress() : String.valueOf(address);
    }

    @Override
    public void send(Envelope envelope) {
        if (channel.isActive()) {
            channel.writeAndFlush(envelope, channel.voidPromise());
        }
    }

    @Override
    public void close(Envelope last) {
        if (last != null && channel.isActive()) {
            channel.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }

    @Override
    public ConnectionState state() {
        return state;
    }
}
