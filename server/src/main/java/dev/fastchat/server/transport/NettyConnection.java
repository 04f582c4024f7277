package dev.fastchat.server.transport;

import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.server.session.Connection;
import dev.fastchat.server.session.ConnectionState;
import dev.fastchat.server.session.RequestDispatcher;
import dev.fastchat.protocol.EncodedEnvelope;
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

    private final RequestDispatcher dispatcher;
    private final int pauseAbove;
    private final int resumeBelow;
    /** Whether its waiting requests are held because it has too many bytes of replies unsent. */
    private boolean held; // guarded by this
    /**
     * Reading stops while the connection has as many requests as it may, or the node as many bytes of requests as it
     * may, or while it does not read replies (event loop).
     */
    private boolean pausedForRequests;
    private boolean pausedForReplies;

    /**
     * @param pauseAbove unsent reply bytes above which the connection's requests wait (its high watermark)
     * @param resumeBelow unsent reply bytes below which they run again (its low watermark)
     */
    NettyConnection(Channel channel, int maxInflightRequests, ReplyBudget budget, RequestDispatcher dispatcher, int pauseAbove,
                    int resumeBelow) {
        this.channel = channel;
        this.state = new ConnectionState(maxInflightRequests);
        this.id = "conn-" + channel.id().asShortText();
        this.budget = budget;
        this.dispatcher = dispatcher;
        this.pauseAbove = pauseAbove;
        this.resumeBelow = resumeBelow;
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
        write(envelope, FrameLimits.LENGTH_PREFIX_BYTES + envelope.getSerializedSize());
    }

    /** Writes a view of the shared bytes: the encoder of this channel's protocol frames it without copying it. */
    @Override
    public void send(EncodedEnvelope encoded) {
        if (channel.isActive()) {
            write(encoded.share(), encoded.frameBytes()); // the reference is taken here: the caller releases its own next
        }
    }

    private void write(Object message, long size) {
        if (!channel.isActive()) {
            io.netty.util.ReferenceCountUtil.release(message);
            return;
        }
        long waiting = queued.get();
        if (!budget.allows(waiting, size)) {
            log.info("{} closed: it has {} bytes of replies unread and the server's reply buffers are full ({} bytes)",
                    id, waiting, budget.queued());
            channel.close();
            io.netty.util.ReferenceCountUtil.release(message);
            return;
        }
        // Counted from here, not from the socket: a busy event loop may hold writes for a while, and until
        // they reach the socket the channel still looks writable.
        queued.addAndGet(size);
        updateHeld();
        budget.add(size);
        channel.writeAndFlush(message).addListener(done -> {
            budget.add(-size);
            queued.addAndGet(-size);
            updateHeld();
        });
    }

    /**
     * Holds the connection's waiting requests while more than the high watermark of its replies is unsent,
     * until it is under the low one. Decided from the count at the time, under a lock, so that a late call
     * cannot undo a newer one.
     */
    private synchronized void updateHeld() {
        long unsent = queued.get();
        boolean hold = held ? unsent >= resumeBelow : unsent > pauseAbove;
        if (hold != held) {
            held = hold;
            dispatcher.readsReplies(this, !hold);
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
    public void acceptedRequestsChanged() {
        // Decided on the event loop from the state then: two calls from different threads may arrive in either order,
        // and the later state is the true one. On the event loop (a request just read), at once: the read under way
        // stops after the bytes it has, instead of reading on.
        if (channel.eventLoop().inEventLoop()) {
            readRequestsOrNot();
        } else {
            channel.eventLoop().execute(this::readRequestsOrNot);
        }
    }

    private void readRequestsOrNot() {
        pausedForRequests = state.full() || state.heldForServer();
        readOrNot();
    }

    /**
     * Reads the connection or not (on the event loop). When it is read again, the frames that one read brought past the
     * bound are decoded, in a task of their own: this may run while the decoder is at work.
     */
    private void readOrNot() {
        boolean read = !pausedForRequests && !pausedForReplies;
        boolean wasReading = channel.config().isAutoRead();
        channel.config().setAutoRead(read);
        if (read && !wasReading) {
            channel.eventLoop().execute(() -> channel.pipeline().fireUserEventTriggered(ServerFrameDecoder.DECODE_WAITING));
        }
    }

    /** The client reads its replies (its send buffer drained to the low watermark) or does not (over the high one). */
    void readsReplies(boolean reads) {
        pausedForReplies = !reads; // on the event loop
        readOrNot();
    }

    @Override
    public ConnectionState state() {
        return state;
    }
}
