package dev.fastchat.client.internal;

import dev.fastchat.client.ChatException;
import dev.fastchat.client.ChatListener;
import dev.fastchat.client.Endpoint;
import dev.fastchat.protocol.ProtocolVersion;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.Hello;
import dev.fastchat.protocol.v1.Welcome;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Finds a node to talk to: tries the known servers in order (the one last used, or the one a node going
 * away pointed to, first), performs the handshake, follows one {@code Redirect} of the cluster's balancing,
 * and moves on to the next server when one cannot be reached.
 */
public final class Dialer {
    /** A connection whose server stays silent this long (a ping unanswered) is closed and its node tried last. */
    public static final Duration STALL = Duration.ofSeconds(4);
    /** How long a server may take to answer {@code Hello}: it answers at once, other protocols never do. */
    private static final Duration HANDSHAKE = Duration.ofSeconds(5);

    /** A connection that completed the handshake, and what the node said about itself. */
    public record Dialed(ClientConnection connection, Welcome welcome) {}

    private final List<Endpoint> servers;
    private final EventLoopGroup group;
    private final Optional<SslContext> tls;
    /** With TLS trusted on first use: the servers' pinned certificates. */
    private final Optional<KnownServers> pins;
    private final Duration requestTimeout;
    private final String clientName;
    private final BooleanSupplier closed;
    /** Tried first: the node last connected to, or where a shutting-down node sent this client. */
    private volatile Endpoint preferred;
    private volatile boolean preferredByRedirect;
    /** The node whose connection stalled last: tried after the others until another one answers. */
    private volatile Endpoint avoided;

    private void avoid(Endpoint endpoint) {
        avoided = endpoint;
        if (endpoint.equals(preferred)) {
            preferred = null;
        }
    }

    public Dialer(List<Endpoint> servers, EventLoopGroup group, Optional<SslContext> tls, Optional<KnownServers> pins,
                  Duration requestTimeout, String clientName, BooleanSupplier closed) {
        this.pins = pins;
        this.servers = List.copyOf(servers);
        this.group = group;
        this.tls = tls;
        this.requestTimeout = requestTimeout;
        this.clientName = clientName;
        this.closed = closed;
    }

    /**
     * Connects to the first server that answers.
     *
     * @param lost called when a connection this returned ends, with it and the reason (never for
     *     connections left because of a redirect)
     * @param pushes receives the server's pushes ({@code Redirect} pushes are handled here)
     * @return fails with {@code UNAVAILABLE} (the last server's reason) when none answers
     */
    public CompletableFuture<Dialed> dial(BiConsumer<ClientConnection, String> lost, Consumer<Envelope> pushes) {
        List<Endpoint> order = new ArrayList<>();
        Endpoint first = preferred;
        if (first != null) {
            order.add(first);
        }
        servers.stream().filter(s -> !order.contains(s)).forEach(order::add);
        Endpoint hung = avoided;
        if (hung != null && order.remove(hung)) {
            order.add(hung); // still tried, if nothing else answers
        }
        return dialAny(order, 0, first != null && preferredByRedirect, null, lost, pushes);
    }

    private CompletableFuture<Dialed> dialAny(List<Endpoint> order, int index, boolean redirected, Throwable last,
                                              BiConsumer<ClientConnection, String> lost, Consumer<Envelope> pushes) {
        if (index >= order.size()) {
            return CompletableFuture.failedFuture(last);
        }
        return attempt(order.get(index), redirected, lost, pushes).handle((dialed, failure) -> {
            if (failure == null) {
                return CompletableFuture.completedFuture(dialed);
            }
            Throwable cause = Failures.cause(failure);
            if (cause instanceof RedirectedException redirect && !redirected) {
                return attempt(redirect.target, true, lost, pushes)
                        .exceptionallyCompose(e -> dialAny(order, index + 1, false, e, lost, pushes));
            }
            if (cause instanceof ChatException chat && chat.code() == ErrorCode.UNAVAILABLE && !closed.getAsBoolean()) {
                return dialAny(order, index + 1, false, cause, lost, pushes);
            }
            return CompletableFuture.<Dialed>failedFuture(cause);
        }).thenCompose(next -> next);
    }

    /**
     * What a failed handshake means: a server that answered in the protocol keeps its own error (a refused
     * version, say); one that sent something else, nothing, or hung up without a frame is not a FastChat server.
     */
    private static RuntimeException notFastChat(Endpoint endpoint, ClientConnection opened, Throwable failure) {
        Throwable cause = Failures.cause(failure);
        if (opened.heard() || !(cause instanceof ChatException chat) || chat.code() != ErrorCode.UNAVAILABLE) {
            return cause instanceof RuntimeException runtime ? runtime : new CompletionException(cause);
        }
        String what = opened.isOpen() ? "no answer to the handshake within " + HANDSHAKE.toSeconds() + " s"
                : "it closed the connection or answered in another protocol";
        opened.close();
        return new ChatException(ErrorCode.UNAVAILABLE, endpoint + " does not speak the FastChat protocol (" + what + ")");
    }

    /** The cluster sent this client elsewhere ({@code Redirect} answering {@code Hello}). */
    private static final class RedirectedException extends RuntimeException {
        final Endpoint target;

        RedirectedException(Endpoint target) {
            super("redirected to " + target, null, false, false);
            this.target = target;
        }
    }

    private CompletableFuture<Dialed> attempt(Endpoint endpoint, boolean redirected, BiConsumer<ClientConnection, String> lost,
                                              Consumer<Envelope> pushes) {
        ClientConnection[] mine = new ClientConnection[1];
        boolean[] retired = {false};
        ChatListener ends = new ChatListener() {
            @Override
            public void disconnected(String reason) {
                if (mine[0] != null && mine[0].stalled()) {
                    avoid(endpoint); // a hung node: the next connection tries the others first
                }
                if (!retired[0]) {
                    lost.accept(mine[0], reason);
                }
            }
        };
        return ClientConnection.open(group, endpoint.host(), endpoint.port(), tls, pins, requestTimeout, STALL, ends, push -> {
                    if (push.hasRedirect()) { // this node is going away: the next connection goes there
                        preferred = Endpoint.parse(push.getRedirect().getAddress());
                        preferredByRedirect = true;
                        return;
                    }
                    pushes.accept(push);
                })
                .thenCompose(opened -> {
                    if (closed.getAsBoolean()) {
                        opened.close();
                        throw new ChatException(ErrorCode.UNAVAILABLE, "the client was closed");
                    }
                    mine[0] = opened;
                    return opened.request(Envelope.newBuilder().setHello(Hello.newBuilder()
                                    .setProtocolVersion(ProtocolVersion.CURRENT).setClient(clientName).setRedirected(redirected)),
                                    requestTimeout.compareTo(HANDSHAKE) < 0 ? requestTimeout : HANDSHAKE)
                            .exceptionally(failure -> {
                                throw notFastChat(endpoint, opened, failure);
                            });
                })
                .thenApply(response -> {
                    if (response.hasRedirect()) {
                        retired[0] = true;
                        mine[0].close();
                        throw new RedirectedException(Endpoint.parse(response.getRedirect().getAddress()));
                    }
                    preferred = endpoint;
                    preferredByRedirect = redirected;
                    if (!endpoint.equals(avoided)) {
                        avoided = null;
                    }
                    mine[0].limitInFlight(response.getWelcome().getLimits().getMaxInflightRequests());
                    return new Dialed(mine[0], response.getWelcome());
                });
    }
}
