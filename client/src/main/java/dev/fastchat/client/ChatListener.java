package dev.fastchat.client;

/**
 * Receives events of a {@link ChatClient}. Every method has an empty default, so implement only what you
 * need.
 *
 * <p>Threading: events of one client are delivered one at a time, in the order they happened, on a
 * thread of the client's own (never the network thread). A slow listener delays that client's later
 * events, not its network I/O; hand long work to your own executor.
 */
public interface ChatListener {
    /**
     * A new message arrived (pushed by the server, or found by a sync), decrypted and verified: a text or a file (perhaps
     * a reply), or a reaction or an edit ({@link ChatMessage#about()}; {@link Timeline} folds them in). Messages
     * this user sent from another device arrive here too, with {@link ChatMessage#outgoing()} set. Each
     * message is reported once per client, even when the server delivers it twice.
     *
     * <p>Thread: the client's event thread. Order: in seq order within a conversation (an earlier message that is
     * missing is fetched first), but for the first message pushed in a conversation this session had not seen yet
     * (after a log-in, none): it is reported at once, and what was unread before it follows, fetched in the
     * background for that conversation alone, so that a backlog of thousands does not hold back what arrives now.
     */
    default void message(ChatMessage message) {}

    /**
     * A member is typing in a conversation, or stopped (a notice sealed like a message, never stored). Show it for a
     * few seconds (senders repeat it every few seconds while they type) or until that member's next message.
     *
     * <p>Thread: the client's event thread. Order: in the order the notices arrived.
     *
     * @param conversationId where
     * @param sender who
     * @param typing whether they are typing now (false: they stopped)
     */
    default void typing(String conversationId, String sender, boolean typing) {}

    /**
     * A member got, or read, this user's messages in a conversation up to {@code upToSeq} (a receipt sealed to this user
     * and signed by them; members may turn read receipts off). Reported when it goes further than known.
     *
     * <p>Thread: the client's event thread. Order: in the order the receipts arrived; a receipt that goes no further
     * than one reported is not reported.
     *
     * @param conversationId where
     * @param member who
     * @param read whether they read them (else their client got them)
     * @param upToSeq up to which seq
     */
    default void receipt(String conversationId, String member, boolean read, long upToSeq) {}

    /**
     * Messages were deleted for everyone by their sender (pushed by the server; a history fetched later holds their
     * tombstones, {@link ChatMessage#deleted()}). Comes after the messages it names were reported, when they were.
     *
     * <p>Thread: the client's event thread. Order: after the messages it names, when they were reported.
     *
     * @param conversationId where they were
     * @param senderId who sent, and deleted, them
     * @param seqs their seqs (the sender's edits of them included)
     */
    default void deleted(String conversationId, long senderId, java.util.List<Long> seqs) {}

    /**
     * A message was refused and is not shown: it did not verify or decrypt, or it is a replay of a message
     * already shown.
     *
     * <p>Thread: the client's event thread. Order: where the message would have been, in seq order.
     *
     * @param conversationId where it arrived
     * @param seq its seq
     * @param reason why, in words fit for a user
     */
    default void rejected(String conversationId, long seq, String reason) {}

    /**
     * The server says a contact's identity keys changed (pushed when they replace them) and the new ones differ
     * from the keys pinned here: nothing is sealed to them until the user compares safety numbers and accepts
     * the new key ({@link Keys#accept}).
     *
     * <p>Thread: the client's event thread. Order: in the order the server's notices arrived.
     */
    default void contactKeyChanged(String username) {}

    /**
     * A contact came online or went offline.
     *
     * <p>Thread: the client's event thread. Order: in the order the changes arrived.
     */
    default void presence(UserPresence presence) {}

    /**
     * A group this user is in changed.
     *
     * <p>Thread: the client's event thread. Order: in the order the changes arrived.
     */
    default void membership(MembershipEvent event) {}

    /**
     * This user read up to {@code seq} in a conversation on another device.
     *
     * <p>Thread: the client's event thread. Order: in the order the other devices read.
     */
    default void readElsewhere(String conversationId, long seq) {}

    /**
     * The connection to the server was lost or closed by the server. After this call no further events
     * arrive for that connection; requests still pending have failed with {@link ChatException}.
     *
     * <p>Thread: the client's event thread. Order: once per lost connection, after every event of that connection.
     *
     * @param reason why, in words fit for a user
     */
    default void disconnected(String reason) {}

    /**
     * With {@link ChatClient.Builder#autoReconnect(boolean) auto-reconnect}: the next attempt to reconnect
     * starts after {@code wait}.
     *
     * <p>Thread: the client's event thread. Order: before each attempt, after disconnected.
     *
     * @param attempt 1 for the first attempt after the connection was lost
     * @param lastError why the previous attempt failed (empty before the first)
     */
    default void reconnecting(int attempt, java.time.Duration wait, String lastError) {}

    /**
     * With auto-reconnect: the connection is back but the server no longer knows the session (it expired, was
     * ended by a log-out elsewhere, or the server's data was reset). Reconnecting stops; requests fail with
     * {@code UNAUTHENTICATED} until {@link ChatClient#login} on this client succeeds. Reported once.
     *
     * <p>Thread: the client's event thread. Order: once, after disconnected; no events follow.
     *
     * @param reason the server's words
     */
    default void sessionEnded(String reason) {}

    /**
     * The connection is back and the session resumed. Messages that arrived meanwhile follow as
     * {@link #message} events.
     *
     * <p>Thread: the client's event thread. Order: after the attempt that worked, once per repaired connection.
     */
    default void reconnected() {}
}
