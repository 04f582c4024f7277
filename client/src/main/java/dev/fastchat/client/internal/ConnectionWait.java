package dev.fastchat.client.internal;

import dev.fastchat.client.ChatException;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting for a lost connection to come back (auto-reconnect) before retrying what it interrupted. */
final class ConnectionWait {
    /** How long work waits for the connection to come back before it gives up. */
    static final Duration LIMIT = Duration.ofSeconds(60);

    private ConnectionWait() {}

    /**
     * Sleeps a little (the loss may still be being noticed, or the server briefly unable), then until
     * {@code connected} holds.
     *
     * @throws ChatException {@code failure}, when the deadline ({@link System#nanoTime}) passes first
     */
    static void await(BooleanSupplier connected, long deadlineNanos, ChatException failure) {
        try {
            Thread.sleep(200);
            while (!connected.getAsBoolean()) {
                if (System.nanoTime() > deadlineNanos) {
                    throw failure;
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure;
        }
    }
}
