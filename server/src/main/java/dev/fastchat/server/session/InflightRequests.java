package dev.fastchat.server.session;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The requests being served across all connections: their count, so that a shutdown can wait for them, and their
 * bytes, which {@code max-inflight-bytes} bounds. A request that takes the bytes above the bound is still served, but
 * its connection is not read again until the bytes are under three quarters of the bound: its next requests wait in
 * its socket, and no request is refused. So an overloaded node holds a bounded amount of work, whatever the number of
 * its connections, instead of {@code max-inflight-requests} of each of them and more (1,000 load clients behind a node
 * that fell behind: 79,000 sends, 70 MiB of heap, and a 64 MiB heap ran out), and its clients feel it as TCP
 * back-pressure. The transport decodes nothing more of a connection it does not read, so the bound is passed by at
 * most one request per connection.
 */
public final class InflightRequests {
    private final long maxBytes;
    private final long resumeBelow;
    private int count; // guarded by this
    private long bytes; // guarded by this
    private long peakBytes; // guarded by this
    /** Connections not read because the bytes went over the bound (guarded by this). */
    private final Set<Connection> held = new LinkedHashSet<>();

    /** @param maxBytes bytes of requests in flight above which connections are not read */
    public InflightRequests(long maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be positive");
        }
        this.maxBytes = maxBytes;
        this.resumeBelow = maxBytes - maxBytes / 4;
    }

    /**
     * Counts a request of {@code requestBytes} in; if that takes the bytes over the bound, {@code connection} is held
     * and told ({@link Connection#acceptedRequestsChanged}).
     */
    void started(Connection connection, long requestBytes) {
        boolean hold;
        synchronized (this) {
            count++;
            bytes += requestBytes;
            peakBytes = Math.max(peakBytes, bytes);
            hold = bytes > maxBytes && held.add(connection);
            if (hold) {
                connection.state().holdForServer(true);
            }
        }
        if (hold) {
            connection.acceptedRequestsChanged();
        }
    }

    /** Counts a request of {@code requestBytes} out; under three quarters of the bound, the held connections are read again. */
    void finished(long requestBytes) {
        List<Connection> released;
        synchronized (this) {
            bytes -= requestBytes;
            if (--count == 0) {
                notifyAll();
            }
            if (held.isEmpty() || bytes >= resumeBelow) {
                return;
            }
            released = new ArrayList<>(held);
            held.clear();
            released.forEach(connection -> connection.state().holdForServer(false));
        }
        released.forEach(Connection::acceptedRequestsChanged);
    }

    /** The connection closed: it is not held any more. */
    synchronized void forget(Connection connection) {
        held.remove(connection);
    }

    /** Bytes of the requests being served now. */
    public synchronized long bytes() {
        return bytes;
    }

    /** The most bytes of requests served at once since the node started. */
    public synchronized long peakBytes() {
        return peakBytes;
    }

    /** Connections not read now because the node holds as many bytes of requests as it may. */
    public synchronized int heldConnections() {
        return held.size();
    }

    /** Waits until no request is in flight or {@code timeout} passes; returns whether none is left. */
    public synchronized boolean awaitNone(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (count > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }
}
