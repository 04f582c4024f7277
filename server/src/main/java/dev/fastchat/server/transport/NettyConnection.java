package dev.fastchat.server.transport;

import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.server.session.Connection;
import dev.fastchat.server.session.ConnectionState;
import dev.fastchat.protocol.FrameLimits;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A {@link Connection} on a Netty channel. Writes are thread-safe and never block. */
final class NettyConnection implements Connection {
    static final AttributeKey<NettyConnection> KEY = AttributeKey.valueOf("fastchat.connection");

    private static final Logger log = LoggerFactory.getLogger(NettyConnection.class);

    private final Channel channel;
    private final ConnectionState state;
    private final String id;
    private final ReplyBudget budget;
    /** Bytes handed to this connection and not yet sent. */
    private final AtomicLong queued = new AtomicLong();

    NettyConnection(Channel channel, int maxInflightRequests, ReplyBudget budget) {
        this.channel = channel;
        this.state = new ConnectionState(maxInflightRequests);
        this.id = "conn-" + channel.id().asShortText();
        this.budget = budget;
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
        if (!channel.isActive()) {
            return;
        }
        long size = FrameLimits.LENGTH_PREFIX_BYTES + envelope.getSerializedSize();
        long waiting = queued.get();
        if (!budget.allows(waiting, size)) {
            log.info("{} closed: it has {} bytes of replies unread and the server's reply buffers are full ({} bytes)",
                    id, waiting, budget.queued());
            channel.close();
            return;
        }
        queued.addAndGet(size);
        budget.add(size);
        channel.writeAndFlush(envelope).addListener(done -> {
            queued.addAndGet(-size);
            budget.add(-size);
        });
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
