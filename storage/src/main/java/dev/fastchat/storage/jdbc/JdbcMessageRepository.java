package dev.fastchat.storage.jdbc;

import dev.fastchat.protocol.ConversationId;
import dev.fastchat.storage.Appended;
import dev.fastchat.storage.ConversationRefusedException;
import dev.fastchat.storage.ConversationRefusedException.Reason;
import dev.fastchat.storage.ConversationSummary;
import dev.fastchat.storage.MessageRepository;
import dev.fastchat.storage.NewChain;
import dev.fastchat.storage.NewMessage;
import dev.fastchat.storage.StoredMessage;
import dev.fastchat.storage.StoredReceipt;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * Messages on JDBC; writes go through the group-commit writer, so seq assignment is serialised per database (and, in a
 * database several nodes share, by the conversations' row locks).
 */
public final class JdbcMessageRepository implements MessageRepository {
    private static final String SELECT_MESSAGE = """
            SELECT m.conversation_id, m.seq, m.sender_id, a.name AS sender_name, m.client_msg_id, m.sealed,
                   m.created_at, g.name AS group_name
            FROM messages m
            JOIN accounts a ON a.id = m.sender_id
            JOIN conversations c ON c.id = m.conversation_id
            LEFT JOIN chat_groups g ON g.id = c.group_id
            """;

    /** A user's membership of a conversation, with what they can see. */
    private record Membership(String conversationId, boolean direct, String name, long lastSeq, long joinedSeq,
                              Long leftSeq, long readSeq) {
        long visibleUpTo() {
            return leftSeq == null ? lastSeq : Math.min(lastSeq, leftSeq);
        }
    }

    private final Jdbc jdbc;
    private final GroupCommitWriter writer;
    private final ConversationCache cache;
    private final BatchedWrite<NewMessage, Appended> appends = this::appendAll;

    JdbcMessageRepository(Jdbc jdbc, GroupCommitWriter writer, ConversationCache cache) {
        this.jdbc = jdbc;
        this.writer = writer;
        this.cache = cache;
    }

    @Override
    public CompletableFuture<Appended> append(NewMessage message) {
        return writer.submit("store message", appends, message);
    }

    /** A message as its sender names it: the idempotency key. */
    private record SenderKey(long senderId, String clientMsgId) {}

    /**
     * Stores a batch of messages with a few statements in all: one read for earlier copies (a retry), one update of the
     * conversations' newest seqs, one batched insert. Members, blocks, chains and names come from the
     * {@link ConversationCache}; the stored messages are built here, not read back.
     */
    private List<Object> appendAll(Connection connection, List<NewMessage> items) throws SQLException {
        Map<SenderKey, StoredMessage> earlier = earlierCopies(connection, items);
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
                    requireSameMessage(first.conversationId(), first.sealed(), message);
                    outcomes[i] = new Appended(first, true, currentMembers(connection, first.conversationId()));
                } else if (repeated != null) {
                    NewMessage original = items.get(repeated);
                    requireSameMessage(original.conversation().value(), original.sealed(), message);
                    outcomes[i] = repeated; // resolved once the original has its seq
                } else {
                    ConversationCache.State state = checkAgainIfShared(connection, message);
                    checkedWith.put(state.id(), state);
                    accepted.computeIfAbsent(state.id(), id -> new ArrayList<>()).add(i);
                    firstInBatch.put(key, i);
                }
            } catch (ConversationRefusedException refused) {
                outcomes[i] = new BatchedWrite.Refusal(refused);
            }
        }
        if (accepted.isEmpty()) {
            return resolveRepeats(outcomes);
        }
        Map<String, Long> firstSeqs = cache.shared()
                ? reserveShared(connection, items, outcomes, accepted, checkedWith)
                : reserveOwned(connection, accepted, checkedWith);
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, sealed, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """)) {
            for (Map.Entry<String, List<Integer>> conversation : accepted.entrySet()) {
                ConversationCache.State state = checkedWith.get(conversation.getKey());
                long seq = firstSeqs.get(conversation.getKey());
                for (int i : conversation.getValue()) {
                    NewMessage message = items.get(i);
                    StoredMessage stored = new StoredMessage(state.id(), seq++, message.senderId(),
                            cache.name(connection, message.senderId()), message.clientMsgId(), message.sealed(),
                            Instant.ofEpochMilli(message.createdAt().toEpochMilli()), state.groupName());
                    outcomes[i] = new Appended(stored, false, state.members());
                    insert.setString(1, stored.conversationId());
                    insert.setLong(2, stored.seq());
                    insert.setLong(3, stored.senderId());
                    insert.setString(4, stored.clientMsgId());
                    insert.setBytes(5, stored.sealed());
                    insert.setLong(6, stored.createdAt().toEpochMilli());
                    insert.addBatch();
                }
                cache.put(state.withLastSeq(seq - 1));
            }
            insert.executeBatch();
        }
        return resolveRepeats(outcomes);
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
     * Where this node owns the database, the newest seqs in the cache are the truth: each conversation's messages take
     * the next ones, and the new newest seqs are written in one JDBC batch.
     *
     * @return each conversation's first seq for this batch
     */
    private Map<String, Long> reserveOwned(Connection connection, Map<String, List<Integer>> accepted,
                                           Map<String, ConversationCache.State> checkedWith) throws SQLException {
        Map<String, Long> firstSeqs = new HashMap<>();
        try (PreparedStatement update = connection.prepareStatement("UPDATE conversations SET last_seq = ? WHERE id = ?")) {
            for (Map.Entry<String, List<Integer>> conversation : accepted.entrySet()) {
                long first = checkedWith.get(conversation.getKey()).lastSeq() + 1;
                firstSeqs.put(conversation.getKey(), first);
                update.setLong(1, first + conversation.getValue().size() - 1);
                update.setString(2, conversation.getKey());
                update.addBatch();
            }
            update.executeBatch();
        }
        return firstSeqs;
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
     * The messages stored before under the senders' client message ids of {@code items} (a retry finds its first
     * copy). PostgreSQL answers all of them in one query: a lookup in the unique index per message (the LIMIT keeps the
     * lookup a lookup: without it, a plan made while the table was empty joins by a scan of the whole table, and the
     * writer's connection keeps that plan). SQLite answers in the process, with one indexed lookup each.
     */
    private Map<SenderKey, StoredMessage> earlierCopies(Connection connection, List<NewMessage> items) throws SQLException {
        List<String[]> found = new ArrayList<>();
        if (cache.shared()) {
            Array senders = connection.createArrayOf("bigint", items.stream().map(NewMessage::senderId).toArray());
            Array ids = connection.createArrayOf("text", items.stream().map(NewMessage::clientMsgId).toArray());
            found.addAll(Jdbc.query(connection, """
                    SELECT m.conversation_id, m.seq FROM unnest(?, ?) AS v(sender_id, client_msg_id)
                    CROSS JOIN LATERAL (SELECT conversation_id, seq FROM messages
                                        WHERE sender_id = v.sender_id AND client_msg_id = v.client_msg_id LIMIT 1) m
                    """, s -> {
                        s.setArray(1, senders);
                        s.setArray(2, ids);
                    }, row -> new String[] {row.getString(1), Long.toString(row.getLong(2))}));
        } else {
            for (NewMessage message : items) {
                found.addAll(Jdbc.query(connection, "SELECT conversation_id, seq FROM messages WHERE sender_id = ? AND client_msg_id = ?",
                        s -> {
                            s.setLong(1, message.senderId());
                            s.setString(2, message.clientMsgId());
                        }, row -> new String[] {row.getString(1), Long.toString(row.getLong(2))}));
            }
        }
        Map<SenderKey, StoredMessage> earlier = new HashMap<>();
        for (String[] where : found) {
            StoredMessage message = Jdbc.query(connection, SELECT_MESSAGE + " WHERE m.conversation_id = ? AND m.seq = ?", s -> {
                s.setString(1, where[0]);
                s.setLong(2, Long.parseLong(where[1]));
            }, JdbcMessageRepository::mapMessage).getFirst();
            earlier.put(new SenderKey(message.senderId(), message.clientMsgId()), message);
        }
        return earlier;
    }

    /**
     * Creates the direct conversation {@code conversation} with its two members, after {@link #requireNewDirect}.
     */
    private static void createDirect(Connection connection, ConversationId conversation, long senderId, Instant createdAt)
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
                recipientList(members), java.util.Set.of());
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

    @Override
    public CompletableFuture<Void> announce(NewChain chain) {
        return writer.submit("store a sender chain", connection -> {
            announce(connection, chain);
            return null;
        });
    }

    private static void announce(Connection connection, NewChain chain) throws SQLException {
        String conversation = chain.conversation().value();
        long firstRecipient = chain.keys().keySet().stream().min(Long::compare).orElseThrow();
        Optional<byte[]> earlier = Jdbc.query(connection, """
                SELECT k.sealed FROM sender_chains c LEFT JOIN sender_chain_keys k ON k.conversation_id = c.conversation_id
                    AND k.sender_id = c.sender_id AND k.chain_id = c.chain_id AND k.account_id = ?
                WHERE c.conversation_id = ? AND c.sender_id = ? AND c.chain_id = ?
                """, s -> {
                    s.setLong(1, firstRecipient);
                    s.setString(2, conversation);
                    s.setLong(3, chain.senderId());
                    s.setBytes(4, chain.chainId());
                }, row -> java.util.Objects.requireNonNullElse(row.getBytes(1), new byte[0])).stream().findFirst();
        if (earlier.isPresent()) {
            if (!Arrays.equals(earlier.get(), chain.keys().get(firstRecipient))) {
                throw new ConversationRefusedException(Reason.MESSAGE_ID_REUSED, "this sender chain id was already announced");
            }
            return; // a repeat of the same announcement
        }
        if (Jdbc.query(connection, "SELECT 1 FROM conversations WHERE id = ?", s -> s.setString(1, conversation), row -> 1).isEmpty()) {
            createDirect(connection, chain.conversation(), chain.senderId(), chain.createdAt());
        }
        List<Long> members = activeMembers(connection, conversation);
        if (!members.contains(chain.senderId())) {
            throw new ConversationRefusedException(Reason.NOT_A_MEMBER, "not a member of this conversation");
        }
        if (!new HashSet<>(members).equals(chain.keys().keySet())) {
            throw new ConversationRefusedException(Reason.MEMBERS_CHANGED,
                    "the sender chain is sealed to " + chain.keys().size() + " accounts but the conversation has "
                            + members.size() + " members; fetch the members and seal again");
        }
        Jdbc.update(connection, """
                INSERT INTO sender_chains (conversation_id, sender_id, chain_id, recipients, created_at) VALUES (?, ?, ?, ?, ?)
                """, s -> {
                    s.setString(1, conversation);
                    s.setLong(2, chain.senderId());
                    s.setBytes(3, chain.chainId());
                    s.setString(4, recipientList(members));
                    s.setLong(5, chain.createdAt().toEpochMilli());
                });
        try (var insert = connection.prepareStatement("""
                INSERT INTO sender_chain_keys (conversation_id, sender_id, chain_id, account_id, sealed) VALUES (?, ?, ?, ?, ?)
                """)) {
            for (Map.Entry<Long, byte[]> key : chain.keys().entrySet()) {
                insert.setString(1, conversation);
                insert.setLong(2, chain.senderId());
                insert.setBytes(3, chain.chainId());
                insert.setLong(4, key.getKey());
                insert.setBytes(5, key.getValue());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    /** Account ids in ascending order, separated by commas: how a chain's recipients are kept. */
    static String recipientList(List<Long> accountIds) {
        return accountIds.stream().sorted().map(String::valueOf).collect(java.util.stream.Collectors.joining(","));
    }

    @Override
    public Optional<byte[]> announcement(String conversationId, long senderId, byte[] chainId, long accountId) {
        membership(conversationId, accountId).orElseThrow(() -> notAMember(conversationId));
        return jdbc.queryOne("read a sender chain's key", """
                SELECT sealed FROM sender_chain_keys WHERE conversation_id = ? AND sender_id = ? AND chain_id = ? AND account_id = ?
                """, s -> {
                    s.setString(1, conversationId);
                    s.setLong(2, senderId);
                    s.setBytes(3, chainId);
                    s.setLong(4, accountId);
                }, row -> row.getBytes(1));
    }

    /** The conversation's current members, from the cache where this node owns the database. */
    private List<Long> currentMembers(Connection connection, String conversationId) throws SQLException {
        return cache.shared() ? activeMembers(connection, conversationId)
                : cache.state(connection, conversationId).map(ConversationCache.State::members).orElse(List.of());
    }

    static List<Long> activeMembers(Connection connection, String conversationId) throws SQLException {
        return Jdbc.query(connection, "SELECT account_id FROM members WHERE conversation_id = ? AND left_seq IS NULL ORDER BY account_id",
                s -> s.setString(1, conversationId), row -> row.getLong(1));
    }

    @Override
    public List<StoredMessage> history(String conversationId, long accountId, long beforeSeq, int limit, long maxBytes) {
        Membership membership = membership(conversationId, accountId).orElseThrow(() -> notAMember(conversationId));
        long upper = Math.min(membership.visibleUpTo(), beforeSeq > 0 ? beforeSeq - 1 : Long.MAX_VALUE);
        return jdbc.queryList("read history", SELECT_MESSAGE
                + " WHERE m.conversation_id = ? AND m.seq > ? AND m.seq <= ? ORDER BY m.seq DESC LIMIT ?", s -> {
                    s.setString(1, conversationId);
                    s.setLong(2, membership.joinedSeq());
                    s.setLong(3, upper);
                    s.setInt(4, limit);
                }, JdbcMessageRepository::mapMessage, StoredMessage::sealedSize, maxBytes);
    }

    @Override
    public List<StoredMessage> since(long accountId, Map<String, Long> cursors, java.util.Set<String> only, int limit,
                                     long maxBytes) {
        List<StoredMessage> result = new ArrayList<>();
        long spent = 0;
        List<Membership> memberships = only.size() == 1
                ? membership(only.iterator().next(), accountId).stream().toList()
                : memberships(accountId).stream().filter(m -> only.isEmpty() || only.contains(m.conversationId())).toList();
        for (Membership membership : memberships) {
            if (spent >= maxBytes) {
                break;
            }
            long from = Math.max(membership.joinedSeq(), cursors.getOrDefault(membership.conversationId(), membership.readSeq()));
            long upTo = membership.visibleUpTo();
            if (from >= upTo) {
                continue;
            }
            int room = limit - result.size();
            if (room <= 0) {
                break;
            }
            long left = maxBytes - spent;
            List<StoredMessage> batch = jdbc.queryList("sync messages", SELECT_MESSAGE
                    + " WHERE m.conversation_id = ? AND m.seq > ? AND m.seq <= ? ORDER BY m.seq LIMIT ?", s -> {
                        s.setString(1, membership.conversationId());
                        s.setLong(2, from);
                        s.setLong(3, upTo);
                        s.setInt(4, room);
                    }, JdbcMessageRepository::mapMessage, StoredMessage::sealedSize, left);
            result.addAll(batch);
            spent += StoredMessage.sealedSize(batch);
        }
        return result;
    }

    @Override
    public List<ConversationSummary> summaries(long accountId) {
        List<ConversationSummary> summaries = new ArrayList<>();
        for (Membership membership : memberships(accountId)) {
            long upTo = membership.visibleUpTo();
            long from = Math.max(membership.readSeq(), membership.joinedSeq());
            long unread = from >= upTo ? 0 : jdbc.queryOne("count unread",
                    "SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ? AND sender_id <> ?", s -> {
                        s.setString(1, membership.conversationId());
                        s.setLong(2, from);
                        s.setLong(3, upTo);
                        s.setLong(4, accountId);
                    }, row -> row.getLong(1)).orElse(0L);
            summaries.add(new ConversationSummary(membership.conversationId(), membership.direct(), membership.name(),
                    upTo, membership.readSeq(), unread));
        }
        return summaries;
    }

    @Override
    public CompletableFuture<Long> markRead(String conversationId, long accountId, long seq) {
        return writer.submit("mark read", connection -> {
            List<long[]> rows = Jdbc.query(connection, """
                    SELECT m.read_seq, c.last_seq, m.left_seq FROM members m JOIN conversations c ON c.id = m.conversation_id
                    WHERE m.conversation_id = ? AND m.account_id = ?
                    """, s -> {
                        s.setString(1, conversationId);
                        s.setLong(2, accountId);
                    }, row -> {
                        long read = row.getLong(1);
                        long last = row.getLong(2);
                        long left = row.getLong(3);
                        return new long[] {read, last, row.wasNull() ? Long.MAX_VALUE : left};
                    });
            if (rows.isEmpty()) {
                throw notAMember(conversationId);
            }
            long[] row = rows.getFirst();
            long target = Math.min(seq, Math.min(row[1], row[2]));
            if (target <= row[0]) {
                return row[0];
            }
            Jdbc.update(connection, "UPDATE members SET read_seq = ? WHERE conversation_id = ? AND account_id = ?", s -> {
                s.setLong(1, target);
                s.setString(2, conversationId);
                s.setLong(3, accountId);
            });
            return target;
        });
    }

    @Override
    public List<Long> contactsOf(long accountId) {
        return jdbc.queryList("list contacts", """
                SELECT DISTINCT o.account_id FROM members m
                JOIN members o ON o.conversation_id = m.conversation_id
                WHERE m.account_id = ? AND m.left_seq IS NULL AND o.left_seq IS NULL AND o.account_id <> ?
                """, s -> {
                    s.setLong(1, accountId);
                    s.setLong(2, accountId);
                }, row -> row.getLong(1));
    }

    private Optional<Membership> membership(String conversationId, long accountId) {
        return jdbc.queryOne("find membership", MEMBERSHIPS + " WHERE m.account_id = ? AND m.conversation_id = ?", s -> {
            s.setLong(1, accountId);
            s.setLong(2, accountId);
            s.setString(3, conversationId);
        }, JdbcMessageRepository::mapMembership);
    }

    private List<Membership> memberships(long accountId) {
        return jdbc.queryList("list memberships", MEMBERSHIPS + " WHERE m.account_id = ? ORDER BY m.conversation_id", s -> {
            s.setLong(1, accountId);
            s.setLong(2, accountId);
        }, JdbcMessageRepository::mapMembership);
    }

    private static final String MEMBERSHIPS = """
            SELECT m.conversation_id, c.kind, c.last_seq, m.joined_seq, m.left_seq, m.read_seq,
                   COALESCE(g.name, (SELECT a.name FROM members o JOIN accounts a ON a.id = o.account_id
                                     WHERE o.conversation_id = m.conversation_id AND o.account_id <> ?)) AS name
            FROM members m
            JOIN conversations c ON c.id = m.conversation_id
            LEFT JOIN chat_groups g ON g.id = c.group_id
            """;

    private static Membership mapMembership(ResultSet row) throws SQLException {
        long left = row.getLong("left_seq");
        Long leftSeq = row.wasNull() ? null : left;
        return new Membership(row.getString("conversation_id"), "direct".equals(row.getString("kind")),
                row.getString("name"), row.getLong("last_seq"), row.getLong("joined_seq"), leftSeq, row.getLong("read_seq"));
    }

    private static StoredMessage mapMessage(ResultSet row) throws SQLException {
        String group = row.getString("group_name");
        return new StoredMessage(row.getString("conversation_id"), row.getLong("seq"), row.getLong("sender_id"),
                row.getString("sender_name"), row.getString("client_msg_id"), row.getBytes("sealed"),
                Instant.ofEpochMilli(row.getLong("created_at")), group == null ? "" : group);
    }

    @Override
    public CompletableFuture<Boolean> keepReceipt(StoredReceipt receipt) {
        return writer.submit("keep a receipt", connection -> {
            List<Long> members = currentMembers(connection, receipt.conversationId());
            if (!members.contains(receipt.fromId()) || !members.contains(receipt.toId())) {
                throw notAMember(receipt.conversationId());
            }
            int changed = Jdbc.update(connection, """
                    INSERT INTO receipts (conversation_id, from_id, to_id, kind, up_to_seq, sealed, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (conversation_id, to_id, from_id, kind) DO UPDATE
                    SET up_to_seq = excluded.up_to_seq, sealed = excluded.sealed, updated_at = excluded.updated_at
                    WHERE receipts.up_to_seq < excluded.up_to_seq
                    """, s -> {
                        s.setString(1, receipt.conversationId());
                        s.setLong(2, receipt.fromId());
                        s.setLong(3, receipt.toId());
                        s.setInt(4, receipt.kind());
                        s.setLong(5, receipt.upToSeq());
                        s.setBytes(6, receipt.sealed());
                        s.setLong(7, System.currentTimeMillis());
                    });
            return changed > 0;
        });
    }

    @Override
    public List<StoredReceipt> receipts(String conversationId, long toId) {
        return jdbc.queryList("read receipts", """
                SELECT from_id, kind, up_to_seq, sealed FROM receipts WHERE conversation_id = ? AND to_id = ? ORDER BY from_id, kind
                """, s -> {
                    s.setString(1, conversationId);
                    s.setLong(2, toId);
                }, row -> new StoredReceipt(conversationId, row.getLong(1), toId, row.getInt(2), row.getLong(3), row.getBytes(4)));
    }

    @Override
    public List<Long> members(String conversationId) {
        return jdbc.queryList("read members", "SELECT account_id FROM members WHERE conversation_id = ? AND left_seq IS NULL ORDER BY account_id",
                s -> s.setString(1, conversationId), row -> row.getLong(1));
    }

    @Override
    public CompletableFuture<List<Long>> delete(String conversationId, long senderId, List<Long> seqs) {
        return writer.submit("delete messages", connection -> {
            List<Long> members = currentMembers(connection, conversationId);
            if (!members.contains(senderId)) {
                throw notAMember(conversationId);
            }
            for (long seq : new java.util.TreeSet<>(seqs)) {
                int changed = Jdbc.update(connection, "UPDATE messages SET sealed = ? WHERE conversation_id = ? AND seq = ? AND sender_id = ?", s -> {
                    s.setBytes(1, new byte[0]);
                    s.setString(2, conversationId);
                    s.setLong(3, seq);
                    s.setLong(4, senderId);
                });
                if (changed != 1) {
                    throw new ConversationRefusedException(Reason.NOT_AUTHOR, "message " + seq + " of " + conversationId
                            + " is not one you sent: nothing was deleted");
                }
            }
            return members;
        });
    }

    private static ConversationRefusedException notAMember(String conversationId) {
        return new ConversationRefusedException(Reason.NOT_A_MEMBER, "not a member of conversation " + conversationId);
    }
}
