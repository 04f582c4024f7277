package dev.fastchat.server.session;

import java.util.Optional;

/**
 * The handshake and log-in state of one connection. Fields are written by the request that changes them
 * and read by later requests, possibly on other threads, hence volatile.
 */
public final class ConnectionState {
    /**
     * Who is logged in on this connection.
     *
     * @param accountId account id
     * @param username canonical name
     * @param tokenHash hash of this session's resume token
     * @param expiresAt when the session's token stops working (its connections are closed then)
     */
    public record LoggedIn(long accountId, String username, byte[] tokenHash, java.time.Instant expiresAt) {}

    /** Requests accepted and not yet answered: running or waiting their turn. */
    private final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
    /** Requests accepted and waiting for their turn ({@link FairScheduler}; guarded by its lock). */
    final java.util.ArrayDeque<Object> waiting = new java.util.ArrayDeque<>();
    /** Requests of this connection running now, and whether it is in the scheduler's turns (guarded by its lock). */
    int running;
    boolean inTurns;
    /** While a thread starts an inline request of this connection: no other thread starts the next one meanwhile. */
    boolean startingInline;
    private final int maxInflightRequests;
    private volatile boolean greeted;
    private volatile boolean paused;
    private volatile boolean heldForServer;
    private volatile LoggedIn loggedIn;

    public ConnectionState(int maxInflightRequests) {
        this.maxInflightRequests = maxInflightRequests;
    }

    /** Whether the client sent an accepted {@code Hello}. */
    public boolean greeted() {
        return greeted;
    }

    void markGreeted() {
        greeted = true;
    }

    public Optional<LoggedIn> loggedIn() {
        return Optional.ofNullable(loggedIn);
    }

    /** Who is logged in; for requests the dispatcher has let through as authenticated. */
    public LoggedIn user() {
        LoggedIn current = loggedIn;
        if (current == null) {
            throw new RequestRefusedException(dev.fastchat.protocol.v1.ErrorCode.UNAUTHENTICATED, "log in first");
        }
        return current;
    }

    public void logIn(LoggedIn session) {
        loggedIn = session;
    }

    public void logOut() {
        loggedIn = null;
    }

    /** Whether the client has stopped reading its replies (its send buffer is full): its requests wait. */
    public boolean paused() {
        return paused;
    }

    void pause(boolean paused) {
        this.paused = paused;
    }

    /** Whether a request of this connection is being served now. */
    public boolean serving() {
        return accepted.get() > 0;
    }

    /** Whether the connection has as many requests accepted as it may (it is not read until one is answered). */
    public boolean full() {
        return accepted.get() >= maxInflightRequests;
    }

    /**
     * Whether the connection is not read because the node holds as many bytes of requests as it may, all connections
     * together ({@link InflightRequests}).
     */
    public boolean heldForServer() {
        return heldForServer;
    }

    void holdForServer(boolean hold) {
        heldForServer = hold;
    }

    /** Counts a request in; returns whether the connection now has as many as it may (stop reading it). */
    boolean startRequest() {
        return accepted.incrementAndGet() == maxInflightRequests;
    }

    /** Counts a request out; returns whether the connection was full and has room again (read it again). */
    boolean finishRequest() {
        return accepted.decrementAndGet() == maxInflightRequests - 1;
    }
}
