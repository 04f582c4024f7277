package dev.fastchat.storage.jdbc;

import dev.fastchat.protocol.ConversationId;
import dev.fastchat.storage.Appended;
import dev.fastchat.storage.ConversationRefusedException;
import dev.fastchat.storage.ConversationRefusedException.Reason;
import dev.fastchat.storage.NewMessage;
import dev.fastchat.storage.StoredMessage;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Sends, many at once: the writer hands this the sends queued next to each other, and it stores them with a few
 * statements in all (see {@link #runAll}), creating a direct conversation with its first message. Runs on the writer
 * thread only, like the {@link ConversationCache} it reads.
 */
final class MessageAppends implements BatchedWrite<NewMessage, Appended> {
    private final ConversationCache cache;

    MessageAppends(ConversationCache cache) {
        this.cache = cache;
    }

    /** A message as its sender names it: the idempotency key. */
    private record SenderKey(long senderId, String clientMsgId) {}

    /**
     * Stores a batch of messages with a few statements in all. Members, blocks, chains and names come from the
     * {@link ConversationCache}; the stored messages are built here, not read back.
     *
     * <ul>
     *   <li>Where this node owns the database (SQLite): one insert per message, which takes the conversation's next seq
     *       unless the sender's client message id is taken (the unique index and {@code ON CONFLICT DO NOTHING}): then
     *       the message is a retry of one an earlier batch stored, its first copy is read, and the seq goes to the
     *       next message. Nothing more: the newest seq of a conversation is that of its newest message.</li>
     *   <li>Where other nodes share it (PostgreSQL): one read for earlier copies, one update that locks the
     *       conversations and takes their seqs, one batched insert.</li>
     * </ul>
     *
     * A message the rules refuse is looked up too: a retry of a stored message gets its first result even if the
     * members changed since.
     */
    @Override
    public List<Object> runAll(Connection connection, List<NewMessage> items) throws SQLException {
        Map<SenderKey, StoredMessage> earlier = cache.shared() ? earlierCopies(connection, items) : Map.of();
        Object[] outcomes = new Object[items.size()];
        Map<SenderKey, Integer> firstInBatch = new HashMap<>();
        Map<String, List<Integer>> accepted = new LinkedHashMap<>();
        Map<String, ConversationCache.State> checkedWith = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            NewMessage message = items.get(i);
            SenderKey key = new SenderKey(message.senderId(), message.clientMsgId());
            try {
                StoredMessage first = earlier.get(key);
                Integer repeated = firstInBatch.get(key);
                if (first != null) {
                    outcomes[i] = repeat(connection, first, message);
                } else if (repeated != null) {
                    NewMessage original = items.get(repeated);
                    requireSameMessage(original.conversation().value(), original.sealed(), message);
                    outcomes[i] = repeated; // resolved once the original has its seq
                } else {
                    ConversationCache.State state;
                    try {
                        state = checkAgainIfShared(connection, message);
                    } catch (ConversationRefusedException refused) {
                        Optional<StoredMessage> stored = cache.shared() ? Optional.empty() : earlierCopy(connection, message);
                        if (stored.isEmpty()) {
                            throw refused;
                        }
                        outcomes[i] = repeat(connection, stored.get(), message);
                        continue;
                    }
                    checkedWith.put(state.id(), state);
                    accepted.computeIfAbsent(state.id(), id -> new ArrayList<>()).add(i);
                    firstInBatch.put(key, i);
                }
            } catch (ConversationRefusedException refused) {
                outcomes[i] = new BatchedWrite.Refusal(refused);
            }
        }
        if (!accepted.isEmpty()) {
            if (cache.shared()) {
                insertShared(connection, items, outcomes, accepted, checkedWith);
            } else {
                insertOwned(connection, items, outcomes, accepted, checkedWith);
            }
        }
        return resolveRepeats(outcomes);
    }

    /** The result of a retry of {@code first}: that message, marked as a duplicate, if it is the same message. */
    private Appended repeat(Connection connection, StoredMessage first, NewMessage message) throws SQLException {
        requireSameMessage(first.conversationId(), first.sealed(), message);
        return new Appended(first, true, cache.currentMembers(connection, first.conversationId()));
    }

    private static final String INSERT = "INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, sealed, created_at)"
            + " VALUES (?, ?, ?, ?, ?, ?)";

    private StoredMessage bind(Connection connection, PreparedStatement insert, ConversationCache.State state, long seq,
                               NewMessage message) throws SQLException {
        StoredMessage stored = new StoredMessage(state.id(), seq, message.senderId(), cache.name(connection, message.senderId()),
                message.clientMsgId(), message.sealed(), Instant.ofEpochMilli(message.createdAt().toEpochMilli()), state.groupName());
        insert.setString(1, stored.conversationId());
        insert.setLong(2, stored.seq());
        insert.setLong(3, stored.senderId());
        insert.setString(4, stored.clientMsgId());
        insert.setBytes(5, stored.sealed());
        insert.setLong(6, stored.createdAt().toEpochMilli());
        return stored;
    }

    /**
     * Where this node owns the database, the newest seqs in the cache are the truth: each conversation's messages take
     * the next ones as they are inserted, a retry (its message id taken) none. Nothing else is written: a
     * conversation's newest seq is its newest message's ({@link JdbcMessageRepository#NEWEST_SEQ}), read when the
     * cache loads it.
     */
    private void insertOwned(Connection connection, List<NewMessage> items, Object[] outcomes, Map<String, List<Integer>> accepted,
                             Map<String, ConversationCache.State> checkedWith) throws SQLException {
        List<Integer> taken = new ArrayList<>();
        try (PreparedStatement insert = connection.prepareStatement(INSERT + " ON CONFLICT (client_msg_id, sender_id) DO NOTHING")) {
            for (Map.Entry<String, List<Integer>> conversation : accepted.entrySet()) {
                ConversationCache.State state = checkedWith.get(conversation.getKey());
                long seq = state.lastSeq() + 1;
                for (int i : conversation.getValue()) {
                    StoredMessage stored = bind(connection, insert, state, seq, items.get(i));
                    if (insert.executeUpdate() == 1) {
                        outcomes[i] = new Appended(stored, false, state.members());
                        seq++;
                    } else {
                        taken.add(i);
                    }
                }
                if (seq - 1 > state.lastSeq()) {
                    cache.put(state.withLastSeq(seq - 1));
                }
            }
        }
        for (int i : taken) {
            NewMessage message = items.get(i);
            StoredMessage first = earlierCopy(connection, message).orElseThrow(() -> new IllegalStateException(
                    "client message id " + message.clientMsgId() + " is taken but no message has it"));
            try {
                outcomes[i] = repeat(connection, first, message);
            } catch (ConversationRefusedException refused) {
                outcomes[i] = new BatchedWrite.Refusal(refused);
            }
        }
    }

    /** Where other nodes share the database: the seqs come from the conversations' rows ({@link #reserveShared}). */
    private void insertShared(Connection connection, List<NewMessage> items, Object[] outcomes, Map<String, List<Integer>> accepted,
                              Map<String, ConversationCache.State> checkedWith) throws SQLException {
        Map<String, Long> firstSeqs = reserveShared(connection, items, outcomes, accepted, checkedWith);
        try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
            for (Map.Entry<String, List<Integer>> conversation : accepted.entrySet()) {
                ConversationCache.State state = checkedWith.get(conversation.getKey());
                long seq = firstSeqs.get(conversation.getKey());
                for (int i : conversation.getValue()) {
                    outcomes[i] = new Appended(bind(connection, insert, state, seq++, items.get(i)), false, state.members());
                    insert.addBatch();
                }
                cache.put(state.withLastSeq(seq - 1));
            }
            insert.executeBatch();
        }
    }

    /** A repeat of a message earlier in the same batch gets that message's result, marked as a duplicate. */
    private static List<Object> resolveRepeats(Object[] outcomes) {
        List<Object> results = new ArrayList<>(outcomes.length);
        for (Object outcome : outcomes) {
            if (outcome instanceof Integer original) {
                results.add(outcomes[original] instanceof Appended first
                        ? new Appended(first.message(), true, first.members()) : outcomes[original]);
            } else {
                results.add(outcome);
            }
        }
        return results;
    }

    private static void requireSameMessage(String conversation, byte[] sealed, NewMessage message) {
        if (!conversation.equals(message.conversation().value()) || !Arrays.equals(sealed, message.sealed())) {
            throw new ConversationRefusedException(Reason.MESSAGE_ID_REUSED,
                    "client message id " + message.clientMsgId() + " was already used for another message");
        }
    }

    /**
     * Where other nodes share the database, one statement takes the conversations' row locks and their seqs
     * ({@code last_seq} goes up by each one's count of messages) and returns their {@code members_version}. A
     * conversation whose members or blocks another node changed since the cache read them is read again under the
     * lock and its messages checked again; seqs reserved for messages now refused are given back (rarely needed).
     */
    private Map<String, Long> reserveShared(Connection connection, List<NewMessage> items, Object[] outcomes,
                                            Map<String, List<Integer>> accepted, Map<String, ConversationCache.State> checkedWith)
            throws SQLException {
        Array ids = connection.createArrayOf("text", accepted.keySet().toArray());
        Array counts = connection.createArrayOf("bigint", accepted.values().stream().map(list -> (long) list.size()).toArray());
        // An index scan for any table size (a join with unnest() planned while the table was small scans it whole, and
        // the writer's connection keeps that plan); rows are locked in the same order on every node.
        List<Object[]> rows = Jdbc.query(connection, """
                UPDATE conversations SET last_seq = last_seq + (?::bigint[])[array_position(?::text[], id::text)]
                WHERE id = ANY(?::text[]) RETURNING id, last_seq, members_version
                """, s -> {
                    s.setArray(1, counts);
                    s.setArray(2, ids);
                    s.setArray(3, ids);
                }, row -> new Object[] {row.getString(1), row.getLong(2), row.getLong(3)});
        Map<String, Long> firstSeqs = new HashMap<>();
        for (Object[] row : rows) {
            String id = (String) row[0];
            long last = (long) row[1];
            List<Integer> mine = accepted.get(id);
            long first = last - mine.size() + 1;
            if ((long) row[2] != checkedWith.get(id).version()) {
                cache.invalidate(id);
                for (Iterator<Integer> each = mine.iterator(); each.hasNext(); ) {
                    int i = each.next();
                    try {
                        checkedWith.put(id, check(connection, items.get(i)));
                    } catch (ConversationRefusedException refused) {
                        outcomes[i] = new BatchedWrite.Refusal(refused);
                        each.remove();
                    }
                }
                long kept = first + mine.size() - 1;
                if (kept != last) {
                    Jdbc.update(connection, "UPDATE conversations SET last_seq = ? WHERE id = ?", s -> {
                        s.setLong(1, kept);
                        s.setString(2, id);
                    });
                }
            }
            firstSeqs.put(id, first);
        }
        accepted.values().removeIf(List::isEmpty);
        return firstSeqs;
    }

    /**
     * {@link #check}, and where other nodes share the database, once more on the conversation as the database has it
     * now if the cache's view refused it (another node may have added the sender or lifted a block since).
     */
    private ConversationCache.State checkAgainIfShared(Connection connection, NewMessage message) throws SQLException {
        try {
            return check(connection, message);
        } catch (ConversationRefusedException refused) {
            if (!cache.shared()) {
                throw refused;
            }
            cache.invalidate(message.conversation().value());
            return check(connection, message);
        }
    }

    /**
     * Checks a message against the rules (nothing is written, but the row of a new direct conversation).
     *
     * @return the conversation as the message was checked against
     */
    private ConversationCache.State check(Connection connection, NewMessage message) throws SQLException {
        String conversation = message.conversation().value();
        Optional<ConversationCache.State> known = cache.state(connection, conversation);
        ConversationCache.State state = known.isPresent() ? known.get()
                : requireNewDirect(connection, message.conversation(), message.senderId());
        if (!state.memberSet().contains(message.senderId())) {
            throw new ConversationRefusedException(Reason.NOT_A_MEMBER, "not a member of this conversation");
        }
        if (state.refusedSenders().contains(message.senderId())) {
            throw new ConversationRefusedException(Reason.BLOCKED, "this user does not accept messages from you");
        }
        if (message.chainId() != null) {
            Optional<String> announcedTo = cache.chainRecipients(connection, conversation, message.senderId(), message.chainId());
            if (announcedTo.isEmpty()) {
                throw new ConversationRefusedException(Reason.MEMBERS_CHANGED,
                        "the message is sealed in a sender chain that was not announced here; announce a new one");
            }
            if (!announcedTo.get().equals(state.recipientList())) {
                throw new ConversationRefusedException(Reason.MEMBERS_CHANGED,
                        "the members changed since this sender chain was announced; announce a new one and seal again");
            }
        } else if (!state.memberSet().equals(message.recipients())) {
            throw new ConversationRefusedException(Reason.MEMBERS_CHANGED,
                    "the message is sealed to " + message.recipients().size() + " accounts but the conversation has "
                            + state.members().size() + " members; fetch the members and seal again");
        }
        if (known.isEmpty()) {
            insertDirect(connection, message.conversation(), message.createdAt());
            cache.put(state);
        }
        return state;
    }

    /**
     * Where other nodes share the database: the messages stored before under the senders' client message ids of
     * {@code items} (a retry finds its first copy), in one query: a lookup in the unique index per message (the LIMIT
     * keeps the lookup a lookup: without it, a plan made while the table was empty joins by a scan of the whole table,
     * and the writer's connection keeps that plan).
     */
    private Map<SenderKey, StoredMessage> earlierCopies(Connection connection, List<NewMessage> items) throws SQLException {
        Array senders = connection.createArrayOf("bigint", items.stream().map(NewMessage::senderId).toArray());
        Array ids = connection.createArrayOf("text", items.stream().map(NewMessage::clientMsgId).toArray());
        List<Object[]> found = Jdbc.query(connection, """
                SELECT m.conversation_id, m.seq FROM unnest(?, ?) AS v(sender_id, client_msg_id)
                CROSS JOIN LATERAL (SELECT conversation_id, seq FROM messages
                                    WHERE sender_id = v.sender_id AND client_msg_id = v.client_msg_id LIMIT 1) m
                """, s -> {
                    s.setArray(1, senders);
                    s.setArray(2, ids);
                }, row -> new Object[] {row.getString(1), row.getLong(2)});
        Map<SenderKey, StoredMessage> earlier = new HashMap<>();
        for (Object[] where : found) {
            StoredMessage message = read(connection, (String) where[0], (long) where[1]);
            earlier.put(new SenderKey(message.senderId(), message.clientMsgId()), message);
        }
        return earlier;
    }

    /** The message stored before under the sender's client message id of {@code message}, if any (one indexed lookup). */
    private static Optional<StoredMessage> earlierCopy(Connection connection, NewMessage message) throws SQLException {
        return Jdbc.query(connection, JdbcMessageRepository.SELECT_MESSAGE + " WHERE m.sender_id = ? AND m.client_msg_id = ?", s -> {
            s.setLong(1, message.senderId());
            s.setString(2, message.clientMsgId());
        }, JdbcMessageRepository::mapMessage).stream().findFirst();
    }

    private static StoredMessage read(Connection connection, String conversationId, long seq) throws SQLException {
        return Jdbc.query(connection, JdbcMessageRepository.SELECT_MESSAGE + " WHERE m.conversation_id = ? AND m.seq = ?", s -> {
            s.setString(1, conversationId);
            s.setLong(2, seq);
        }, JdbcMessageRepository::mapMessage).getFirst();
    }

    /**
     * Creates the direct conversation {@code conversation} with its two members, after {@link #requireNewDirect}.
     */
    static void createDirect(Connection connection, ConversationId conversation, long senderId, Instant createdAt)
            throws SQLException {
        requireNewDirect(connection, conversation, senderId);
        insertDirect(connection, conversation, createdAt);
    }

    /**
     * Refuses to start a conversation that does not exist yet unless it is a direct one of the sender with an account
     * that exists and has not blocked the sender; gives it as it will be once created.
     */
    private static ConversationCache.State requireNewDirect(Connection connection, ConversationId conversation, long senderId)
            throws SQLException {
        if (!conversation.isDirect()) {
            throw new ConversationRefusedException(Reason.UNKNOWN_GROUP, "no such group");
        }
        if (!conversation.involves(senderId)) {
            throw new ConversationRefusedException(Reason.NOT_A_MEMBER, "not a member of this conversation");
        }
        long peer = conversation.peerOf(senderId);
        if (Jdbc.query(connection, "SELECT 1 FROM accounts WHERE id = ?", s -> s.setLong(1, peer), row -> 1).isEmpty()) {
            throw new ConversationRefusedException(Reason.UNKNOWN_USER, "no account with id " + peer);
        }
        if (JdbcAccountRepository.isBlocked(connection, peer, senderId)) {
            throw new ConversationRefusedException(Reason.BLOCKED, "this user does not accept messages from you");
        }
        List<Long> members = List.of(conversation.low(), conversation.high());
        return new ConversationCache.State(conversation.value(), true, "", 0, 0, members, java.util.Set.copyOf(members),
                JdbcMessageRepository.recipientList(members), java.util.Set.of());
    }

    /** Stores a new direct conversation (no message yet) and its two members. */
    private static void insertDirect(Connection connection, ConversationId conversation, Instant createdAt) throws SQLException {
        long now = createdAt.toEpochMilli();
        Jdbc.update(connection, "INSERT INTO conversations (id, kind, group_id, last_seq, created_at) VALUES (?, 'direct', NULL, 0, ?)",
                s -> {
                    s.setString(1, conversation.value());
                    s.setLong(2, now);
                });
        for (long member : List.of(conversation.low(), conversation.high())) {
            Jdbc.update(connection, """
                    INSERT INTO members (conversation_id, account_id, role, joined_at, joined_seq, left_seq, read_seq)
                    VALUES (?, ?, 'member', ?, 0, NULL, 0)
                    """, s -> {
                        s.setString(1, conversation.value());
                        s.setLong(2, member);
                        s.setLong(3, now);
                    });
        }
    }
}
