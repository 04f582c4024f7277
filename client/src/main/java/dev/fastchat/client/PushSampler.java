package dev.fastchat.client;

/**
 * For load generators: which pushed messages the client verifies and opens. Opening a message (a signature check
 * and a decryption) costs far more CPU than receiving it; a load generator on the same machine as the server
 * would otherwise measure its own clients. A message left unopened is not reported to
 * {@link ChatListener#message}, and it counts as seen: later syncs and gap fills pass over it. A chat client
 * has no use for this; it opens everything.
 *
 * <p>Both are called one at a time, in the order of the pushes: on the client's event thread, or, for a message left
 * unopened while nothing waits on the event thread, on its network thread (so they must not block). {@link #open} may
 * be asked more than once about the same message and must answer the same; {@link #unopened} is told once per message
 * left unopened.
 */
public interface PushSampler {
    /** Whether this pushed message is verified, opened and reported to the listener as usual. */
    boolean open(String conversationId, long seq, long senderId);

    /** A pushed message left unopened (its sender, its place in the conversation, nothing of its content). */
    void unopened(String conversationId, long seq, long senderId);
}
