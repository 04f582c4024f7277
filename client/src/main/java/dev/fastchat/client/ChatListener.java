package dev.fastchat.client;

/**
 * Receives events of a {@link ChatClient}. Every method has an empty default, so implement only what you
 * need.
 *
 * <p>Threading: events are delivered on one thread per client (the connection's I/O thread), in the order
 * they happened. Do not block in a listener; hand long work to your own executor.
 */
public interface ChatListener {
    /**
     * The connection to the server was lost or closed by the server. After this call no further events
     * arrive for that connection; requests still pending have failed with {@link ChatException}.
     *
     * @param reason why, in words fit for a user
     */
    default void disconnected(String reason) {}
}
