package dev.fastchat.server.session;

import dev.fastchat.protocol.v1.Envelope;

/**
 * One client connection as the services see it, whatever the transport. Thread-safe: any thread may send.
 */
public interface Connection {
    /** A short id for logs. */
    String id();

    /** The peer's address (IP only), for throttling and logs. */
    String remoteAddress();

    /** Queues an envelope for the client; never blocks. Dropped silently if the connection is closed. */
    void send(Envelope envelope);

    /**
     * Queues an envelope encoded once for many connections (a push); never blocks, and does not take the caller's
     * reference. By default it is sent as an envelope.
     */
    default void send(dev.fastchat.protocol.EncodedEnvelope encoded) {
        send(encoded.envelope());
    }

    /** Sends {@code last} (if not null), then closes the connection. */
    void close(Envelope last);

    /**
     * The connection has just become {@link ConnectionState#full() full} of accepted requests, or has room
     * again: the transport stops reading the client (its requests wait in its socket, and it waits with them)
     * or reads it again. Calls may arrive out of order: the transport decides from {@code full()} when it acts.
     */
    void acceptedRequestsChanged();

    /** What this connection has established so far. */
    ConnectionState state();
}
