package dev.fastchat.client.internal;

import dev.fastchat.client.ChatException;
import dev.fastchat.client.ChatListener;
import dev.fastchat.protocol.EnvelopeDecoder;
import dev.fastchat.protocol.EnvelopeEncoder;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.Ping;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;

/**
 * One connection to a server: sends requests, matches responses by request id, times them out, and fails
 * every pending request when the connection ends. Keeps at most the server's in-flight limit of requests
 * unanswered (it announces it in {@code Welcome}); more wait here, in order, and go out as answers come back.
 * Pings when the server has been silent for half the stall timeout, and closes the connection when it stays
 * silent the other half: a hung server (paused, or a link dead one way) is left within the stall timeout.
 */
public final class ClientConnection {
    /** The client accepts frames up to this size from the server. */
    private static final int MAX_INBOUND_FRAME = 16 << 20;

    /** Most requests that wait here for a free place in the server's in-flight window. */
    static final int MAX_WAITING = 100_000;

    private final Channel channel;
    private final Map<Long, CompletableFuture<Envelope>> pending = new ConcurrentHashMap<>();
    /** The in-flight window: requests sent and not answered, the most allowed, and those waiting for a place. */
    private final Object window = new Object();
    private int inFlight;
    private int windowSize = Integer.MAX_VALUE;
    private final java.util.ArrayDeque<Waiting> waiting = new java.util.ArrayDeque<>();
    /** Whether the connection was closed because the server stopped answering. */
    private volatile boolean stalled;

    private record Waiting(Envelope.Builder request, Duration timeout, CompletableFuture<Envelope> response) {}
    private final AtomicLong ids = new AtomicLong();
    private final Duration requestTimeout;
    private volatile String closeReason;
    /** Whether a well-formed frame came from the other side. */
    private volatile boolean heard;

    private ClientConnection(Channel channel, Duration requestTimeout) {
        this.channel = channel;
        this.requestTimeout = requestTimeout;
    }

    /**
     * Connects (and completes the TLS handshake, if {@code tls} is given).
     *
     * @return completes when the connection is ready, or fails with a {@link ChatException} of code
     *     {@code UNAVAILABLE} that says why (refused, TLS failure, timeout)
     */
    public static CompletableFuture<ClientConnection> open(EventLoopGroup group, String host, int port,
                                                           Optional<SslContext> tls, Optional<KnownServers> pins,
                                                           Duration requestTimeout, Duration stallTimeout, ChatListener listener,
                                                           java.util.function.Consumer<Envelope> pushes) {
        CompletableFuture<ClientConnection> ready = new CompletableFuture<>();
        ClientConnection[] holder = new ClientConnection[1];
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) requestTimeout.toMillis())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // Made here, before the connection: a TLS handshake can complete (on the event loop) before
                        // the connect listener below is even added by the calling thread.
                        holder[0] = new ClientConnection(ch, requestTimeout);
                        tls.ifPresent(context -> {
                            io.netty.handler.ssl.SslHandler ssl = context.newHandler(ch.alloc(), host, port);
                            ssl.setHandshakeTimeout(TLS_HANDSHAKE.toMillis(), TimeUnit.MILLISECONDS);
                            ch.pipeline().addLast("tls", ssl);
                        });
                        ch.pipeline().addLast("ping", new IdleStateHandler(stallTimeout.toMillis() / 2, 0, 0, TimeUnit.MILLISECONDS));
                        ch.pipeline().addLast("decoder", new EnvelopeDecoder(MAX_INBOUND_FRAME));
                        ch.pipeline().addLast("encoder", new EnvelopeEncoder());
                        ch.pipeline().addLast("handler", new Handler(holder, ready, tls.isPresent(), pins, host + ":" + port,
                                listener, pushes));
                    }
                });
        bootstrap.connect(host, port).addListener(future -> {
            if (!future.isSuccess()) {
                Throwable cause = future.cause();
                String why = cause instanceof ConnectException ? "connection refused" : String.valueOf(cause.getMessage());
                ready.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE,
                        "cannot connect to " + host + ":" + port + ": " + why, cause));
                return;
            }
            if (tls.isEmpty()) {
                ready.complete(holder[0]);
            }
        });
        return ready;
    }

    /** How long a TLS handshake may take before the peer is taken for something else than a FastChat server. */
    private static final Duration TLS_HANDSHAKE = Duration.ofSeconds(5);

    /** Why a TLS handshake with {@code server} failed, in words. */
    private static String handshakeFailure(String server, Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof io.netty.handler.ssl.NotSslRecordException) {
                return server + " does not speak the FastChat protocol over TLS (it answered in another protocol; a server"
                        + " started with --insecure-plaintext is reached with --insecure-plaintext)";
            }
            if (t instanceof io.netty.handler.ssl.SslHandshakeTimeoutException) {
                return server + " does not speak the FastChat protocol over TLS (no answer to the TLS handshake within "
                        + TLS_HANDSHAKE.toSeconds() + " s)";
            }
        }
        return "TLS handshake with " + server + " failed (is the server's certificate trusted and for this host?): " + cause.getMessage();
    }

    /** The server's TLS certificate: its fingerprint, and whether it was pinned on this connection (first use). */
    public record PeerCertificate(String fingerprint, boolean pinnedNow) {}

    private volatile PeerCertificate certificate;

    /** The server's certificate, on a TLS connection. */
    public Optional<PeerCertificate> certificate() {
        return Optional.ofNullable(certificate);
    }

    /** The fingerprint of the server's certificate, checked against its pin when pins are kept. */
    private static PeerCertificate peerCertificate(ChannelHandlerContext ctx, Optional<KnownServers> pins, String server) {
        io.netty.handler.ssl.SslHandler ssl = ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class);
        String fingerprint;
        try {
            fingerprint = dev.fastchat.protocol.CertificateFingerprint.of(ssl.engine().getSession().getPeerCertificates()[0].getEncoded());
        } catch (javax.net.ssl.SSLPeerUnverifiedException | java.security.cert.CertificateEncodingException e) {
            throw new ChatException(ErrorCode.UNTRUSTED_SERVER, "the server at " + server + " showed no usable certificate", e);
        }
        boolean pinnedNow = pins.isPresent() && pins.get().check(server, fingerprint) == KnownServers.Outcome.PINNED_NOW;
        return new PeerCertificate(fingerprint, pinnedNow);
    }

    /** Sends a request and completes with its response; an {@code Error} response completes exceptionally. */
    public CompletableFuture<Envelope> request(Envelope.Builder request) {
        return request(request, requestTimeout);
    }

    /** {@link #request(Envelope.Builder)} with a timeout of its own (counted from when it is sent). */
    public CompletableFuture<Envelope> request(Envelope.Builder request, Duration requestTimeout) {
        CompletableFuture<Envelope> response = new CompletableFuture<>();
        if (closeReason != null || !channel.isActive()) {
            response.completeExceptionally(lost());
            return response;
        }
        synchronized (window) {
            if (inFlight >= windowSize) {
                if (waiting.size() >= MAX_WAITING) {
                    response.completeExceptionally(ChatException.local(ErrorCode.UNAVAILABLE, MAX_WAITING
                            + " requests are waiting for the server already: slow down"));
                } else {
                    waiting.add(new Waiting(request, requestTimeout, response));
                }
                return response;
            }
            inFlight++;
        }
        send(request, requestTimeout, response);
        return response;
    }

    /**
     * Keeps at most {@code limit} requests unanswered from now on (the server's in-flight limit, less one: a
     * ping must still find room); 0 means none announced.
     */
    public void limitInFlight(int limit) {
        if (limit > 0) {
            synchronized (window) {
                windowSize = Math.max(1, limit - 1);
            }
        }
    }

    /** Whether the connection was closed because the server stopped answering (it is better tried last). */
    public boolean stalled() {
        return stalled;
    }

    /** An answer came (or a request failed): its place in the window goes to the next waiting request. */
    private void released() {
        while (true) {
            Waiting next;
            synchronized (window) {
                next = waiting.poll();
                if (next == null) {
                    inFlight--;
                    return;
                }
            }
            if (closeReason == null && channel.isActive()) {
                send(next.request(), next.timeout(), next.response());
                return;
            }
            next.response().completeExceptionally(lost()); // the place passes on to the one after it
        }
    }

    /**
     * Writes a request. Off the I/O thread, its timer and its write go to that thread as one task (one wake-up, not
     * one for each).
     */
    private void send(Envelope.Builder request, Duration requestTimeout, CompletableFuture<Envelope> response) {
        var loop = channel.eventLoop();
        if (loop.inEventLoop()) {
            sendOnLoop(request, requestTimeout, response);
            return;
        }
        try {
            loop.execute(() -> sendOnLoop(request, requestTimeout, response));
        } catch (java.util.concurrent.RejectedExecutionException e) { // the I/O threads are shutting down
            response.completeExceptionally(lost());
        }
    }

    private void sendOnLoop(Envelope.Builder request, Duration requestTimeout, CompletableFuture<Envelope> response) {
        long id = ids.incrementAndGet();
        response.whenComplete((r, e) -> released());
        pending.put(id, response);
        var timeout = channel.eventLoop().schedule(() -> {
            if (pending.remove(id) != null) {
                response.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE,
                        "no answer from the server within " + requestTimeout.toSeconds() + " s"));
            }
        }, requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        response.whenComplete((r, e) -> timeout.cancel(false));
        channel.writeAndFlush(request.setRequestId(id).build()).addListener(written -> {
            if (!written.isSuccess() && pending.remove(id) != null) {
                response.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE,
                        "sending failed: " + written.cause().getMessage(), written.cause()));
            }
        });
    }

    /** Whether the other side ever sent a well-formed FastChat frame on this connection. */
    public boolean heard() {
        return heard;
    }

    /** Whether the connection is open. */
    public boolean isOpen() {
        return channel.isActive() && closeReason == null;
    }

    /** Closes the connection; pending requests fail. */
    public CompletableFuture<Void> close() {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        channel.close().addListener(f -> closed.complete(null));
        return closed;
    }

    private ChatException lost() {
        return new ChatException(ErrorCode.UNAVAILABLE, "connection lost: " + (closeReason == null ? "closed" : closeReason));
    }

    private void failAll(String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
        pending.keySet().forEach(id -> {
            CompletableFuture<Envelope> future = pending.remove(id);
            if (future != null) {
                future.completeExceptionally(lost());
            }
        });
        List<Waiting> left;
        synchronized (window) {
            left = List.copyOf(waiting);
            waiting.clear();
        }
        left.forEach(w -> w.response().completeExceptionally(lost()));
    }

    /** Matches responses, handles pushes, pings when idle. */
    private static final class Handler extends SimpleChannelInboundHandler<Envelope> {
        private final ClientConnection[] holder;
        private final CompletableFuture<ClientConnection> ready;
        private final boolean tls;
        private final Optional<KnownServers> pins;
        private final String server;
        private final ChatListener listener;
        private final java.util.function.Consumer<Envelope> pushes;
        private String lastServerError;
        /** Whether a ping went out since the server last sent anything. */
        private boolean awaitingPong;

        Handler(ClientConnection[] holder, CompletableFuture<ClientConnection> ready, boolean tls, Optional<KnownServers> pins,
                String server, ChatListener listener,
                java.util.function.Consumer<Envelope> pushes) {
            this.holder = holder;
            this.ready = ready;
            this.tls = tls;
            this.pins = pins;
            this.server = server;
            this.listener = listener;
            this.pushes = pushes;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Envelope envelope) {
            ClientConnection connection = holder[0];
            connection.heard = true;
            awaitingPong = false;
            if (envelope.getRequestId() == 0) {
                if (envelope.hasSessionEnded()) { // the server closes the connection next
                    lastServerError = "the session ended: " + envelope.getSessionEnded().getReason();
                } else if (envelope.hasError()) {
                    lastServerError = envelope.getError().getReason();
                } else {
                    pushes.accept(envelope);
                }
                return;
            }
            CompletableFuture<Envelope> future = connection.pending.remove(envelope.getRequestId());
            if (future == null) {
                return; // timed out already
            }
            if (envelope.hasError()) {
                future.completeExceptionally(new ChatException(envelope.getError().getCode(), envelope.getError().getReason()));
            } else {
                future.complete(envelope);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof IdleStateEvent) {
                if (awaitingPong && holder[0] != null && holder[0].heard) {
                    lastServerError = "the server stopped answering (no answer to a ping): it may be hung";
                    holder[0].stalled = true;
                    ctx.close();
                } else {
                    awaitingPong = true;
                    ctx.channel().writeAndFlush(Envelope.newBuilder().setPing(Ping.getDefaultInstance()).build());
                }
            } else if (event instanceof SslHandshakeCompletionEvent handshake && tls) {
                if (handshake.isSuccess()) {
                    try {
                        holder[0].certificate = peerCertificate(ctx, pins, server);
                        ready.complete(holder[0]);
                    } catch (ChatException e) {
                        ready.completeExceptionally(e);
                        ctx.close();
                    }
                } else {
                    ready.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE, handshakeFailure(server, handshake.cause()),
                            handshake.cause()));
                    ctx.close();
                }
            }
            super.userEventTriggered(ctx, event);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            String reason = lastServerError != null ? lastServerError : "the server closed the connection";
            if (holder[0] != null) {
                holder[0].failAll(reason);
            }
            ready.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE, "connection lost: " + reason));
            listener.disconnected(reason);
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause.getCause() instanceof SSLException ssl) {
                lastServerError = "TLS failed: " + ssl.getMessage();
            } else if (lastServerError == null) {
                lastServerError = cause.getMessage();
            }
            ctx.close();
        }
    }
}
