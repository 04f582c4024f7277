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

    /** Sends {@code last} (if not null), then closes the connection. */
    void close(Envelope last);

    /**
     * Stops reading the client's requests ({@code false}: they wait in its socket, and it waits with them) or
     * reads them again, when the connection has as many requests accepted as it may or has room again. Calls
     * may arrive out of order: the transport decides from {@link ConnectionState#full()} when it acts.
     */
    void readRequests(boolean read);

    /** What this connection has established so far. */
    ConnectionState state();
}
