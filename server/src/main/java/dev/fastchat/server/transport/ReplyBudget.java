package dev.fastchat.server.transport;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of replies and pushes handed to connections and not yet sent, all connections together, from
 * the moment a service hands one over (it may wait in an event loop's queue before it reaches the socket)
 * until it is sent or dropped. Over {@code max-queued-bytes}, a connection that still has replies waiting is
 * closed rather than given more.
 */
final class ReplyBudget {
    private final AtomicLong queued = new AtomicLong();
    private final long max;

    ReplyBudget(long max) {
        this.max = max;
    }

    /** Whether {@code bytes} more may be queued for a connection that has {@code queuedHere} waiting. */
    boolean allows(long queuedHere, long bytes) {
        return queuedHere == 0 || queued.get() + bytes <= max;
    }

    void add(long bytes) {
        queued.addAndGet(bytes);
    }

    long queued() {
        return queued.get();
    }
}
