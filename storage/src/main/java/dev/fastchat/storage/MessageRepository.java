package dev.fastchat.storage;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Messages, read cursors and conversation membership as it matters for reading. Reads block (call them off
 * event loops); writes are durable when their future completes.
 */
public interface MessageRepository {

    /**
     * Stores a message with the next seq of its conversation, atomically with the checks: the sender is a
     * current member, the recipients are exactly the current members, the client message id is new (or
     * names this very message: then the first result is returned with {@code duplicate} set). The direct
     * conversation of two accounts is created by its first message.
     *
     * @return fails with {@link ConversationRefusedException} when a rule is broken, or {@link StorageException}
     */
    CompletableFuture<Appended> append(NewMessage message);

    /**
     * Stores the announcement of a sender chain (its key sealed to each recipient apart), atomically with the checks:
     * the sender is a current member and the recipients are exactly the current members. The direct conversation of two accounts is created by it
     * if it has no message yet. A repeat of the same announcement is accepted again.
     *
     * @return fails with {@link ConversationRefusedException} when a rule is broken (MESSAGE_ID_REUSED for another
     *     announcement under the same chain id), or {@link StorageException}
     */
    CompletableFuture<Void> announce(NewChain chain);

    /**
     * {@code accountId}'s copy of the announcement of {@code senderId}'s chain {@code chainId} (the chain key sealed to
     * it), in a conversation it is or was a member of; empty if there is none.
     *
     * @throws ConversationRefusedException NOT_A_MEMBER if the user never belonged to the conversation
     */
    Optional<byte[]> announcement(String conversationId, long senderId, byte[] chainId, long accountId);

    /**
     * A page of the conversation as {@code accountId} may see it, newest first: messages with
     * {@code seq < beforeSeq} (any seq when {@code beforeSeq} is 0), at most {@code limit}, and no more once the
     * sealed bytes read reach {@code maxBytes} (the message that reaches it is the last; at least one is read).
     *
     * @throws ConversationRefusedException NOT_A_MEMBER if the user never belonged to the conversation
     */
    List<StoredMessage> history(String conversationId, long accountId, long beforeSeq, int limit, long maxBytes);

    /** {@link #history(String, long, long, int, long)} without a byte budget. */
    default List<StoredMessage> history(String conversationId, long accountId, long beforeSeq, int limit) {
        return history(conversationId, accountId, beforeSeq, limit, Long.MAX_VALUE);
    }

    /**
     * What {@code accountId} has not seen: per conversation, messages after {@code cursors.get(id)}, or after
     * the read cursor for conversations not in the map; oldest first within a conversation; at most {@code limit},
     * and no more once the sealed bytes read reach {@code maxBytes} (at least one is read).
     */
    default List<StoredMessage> since(long accountId, Map<String, Long> cursors, int limit, long maxBytes) {
        return since(accountId, cursors, java.util.Set.of(), limit, maxBytes);
    }

    /**
     * {@link #since(long, Map, int, long)} in the conversations of {@code only} alone (in all of the user's when it is
     * empty).
     */
    List<StoredMessage> since(long accountId, Map<String, Long> cursors, java.util.Set<String> only, int limit, long maxBytes);

    /** {@link #since(long, Map, int, long)} without a byte budget. */
    default List<StoredMessage> since(long accountId, Map<String, Long> cursors, int limit) {
        return since(accountId, cursors, limit, Long.MAX_VALUE);
    }

    /** Every conversation of the user (current and former), with unread counts. */
    List<ConversationSummary> summaries(long accountId);

    /**
     * Moves the user's read cursor forward to {@code seq} (capped at what they can see); never back.
     *
     * @return the read cursor after the call; fails with NOT_A_MEMBER if the user has no such conversation
     */
    CompletableFuture<Long> markRead(String conversationId, long accountId, long seq);

    /**
     * Deletes messages of {@code senderId} for everyone: drops their sealed bytes and keeps a tombstone (seq, sender,
     * time) in their place. All or none: fails with NOT_A_MEMBER unless the sender is a member, and with NOT_AUTHOR
     * unless every seq is a message they sent there (a message deleted before counts as theirs).
     *
     * @return the conversation's current members, to tell
     */
    CompletableFuture<List<Long>> delete(String conversationId, long senderId, List<Long> seqs);

    /**
     * Keeps a receipt in place of the one of its kind from the same member to the same sender, if it goes further.
     * Fails with NOT_A_MEMBER unless both are members of the conversation.
     *
     * @return whether it was kept (not when one as far or further was kept already)
     */
    CompletableFuture<Boolean> keepReceipt(StoredReceipt receipt);

    /** The receipts kept for {@code toId}'s messages in a conversation. */
    List<StoredReceipt> receipts(String conversationId, long toId);

    /** The conversation's current members (empty if it has none, or does not exist). */
    List<Long> members(String conversationId);

    /** Accounts that share a current conversation (direct or group) with {@code accountId}. */
    List<Long> contactsOf(long accountId);
}
