package dev.fastchat.server.session;

import java.time.Duration;

/** Counts requests being served across all connections, so a shutdown can wait for them to finish. */
public final class InflightRequests {
    private int count;

    synchronized void started() {
        count++;
    }

    synchronized void finished() {
        if (--count == 0) {
            notifyAll();
        }
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
