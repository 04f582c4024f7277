package dev.fastchat.storage.jdbc;

import dev.fastchat.storage.Appended;
import dev.fastchat.storage.ConversationRefusedException;
import dev.fastchat.storage.ConversationRefusedException.Reason;
import dev.fastchat.storage.ConversationSummary;
import dev.fastchat.storage.MessageRepository;
import dev.fastchat.storage.NewChain;
import dev.fastchat.storage.NewMessage;
import dev.fastchat.storage.StoredMessage;
import dev.fastchat.storage.StoredReceipt;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Messages on JDBC; writes go through the group-commit writer, so seq assignment is serialised per database (and, in a
 * database several nodes share, by the conversations' row locks).
 */
public final class JdbcMessageRepository implements MessageRepository {
    static final String SELECT_MESSAGE = """
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
    private final MessageAppends appends;

    JdbcMessageRepository(Jdbc jdbc, GroupCommitWriter writer, ConversationCache cache) {
        this.jdbc = jdbc;
        this.writer = writer;
        this.cache = cache;
        this.appends = new MessageAppends(cache);
    }

    @Override
    public CompletableFuture<Appended> append(NewMessage message) {
        return writer.submit("store message", appends, message);
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
            MessageAppends.createDirect(connection, chain.conversation(), chain.senderId(), chain.createdAt());
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
                    SELECT m.read_seq, %s, m.left_seq FROM members m JOIN conversations c ON c.id = m.conversation_id
                    WHERE m.conversation_id = ? AND m.account_id = ?
                    """.formatted(NEWEST_SEQ), s -> {
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

    /**
     * The newest seq of the conversation {@code c} of a query: its newest message's, 0 before the first. The writer of
     * a database of its own (SQLite) writes nothing else per message: it keeps the newest seqs in memory and reads them
     * back with this. Where nodes share the database (PostgreSQL), {@code conversations.last_seq} is the counter they
     * take seqs from under its row lock, and it equals this once committed.
     */
    static final String NEWEST_SEQ = "(SELECT COALESCE(MAX(s.seq), 0) FROM messages s WHERE s.conversation_id = c.id)";

    private static final String MEMBERSHIPS = """
            SELECT m.conversation_id, c.kind, %s AS last_seq, m.joined_seq, m.left_seq, m.read_seq,
                   COALESCE(g.name, (SELECT a.name FROM members o JOIN accounts a ON a.id = o.account_id
                                     WHERE o.conversation_id = m.conversation_id AND o.account_id <> ?)) AS name
            FROM members m
            JOIN conversations c ON c.id = m.conversation_id
            LEFT JOIN chat_groups g ON g.id = c.group_id
            """.formatted(NEWEST_SEQ);

    private static Membership mapMembership(ResultSet row) throws SQLException {
        long left = row.getLong("left_seq");
        Long leftSeq = row.wasNull() ? null : left;
        return new Membership(row.getString("conversation_id"), "direct".equals(row.getString("kind")),
                row.getString("name"), row.getLong("last_seq"), row.getLong("joined_seq"), leftSeq, row.getLong("read_seq"));
    }

    static StoredMessage mapMessage(ResultSet row) throws SQLException {
        String group = row.getString("group_name");
        return new StoredMessage(row.getString("conversation_id"), row.getLong("seq"), row.getLong("sender_id"),
                row.getString("sender_name"), row.getString("client_msg_id"), row.getBytes("sealed"),
                Instant.ofEpochMilli(row.getLong("created_at")), group == null ? "" : group);
    }

    @Override
    public CompletableFuture<Boolean> keepReceipt(StoredReceipt receipt) {
        return writer.submit("keep a receipt", connection -> {
            List<Long> members = cache.currentMembers(connection, receipt.conversationId());
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
            List<Long> members = cache.currentMembers(connection, conversationId);
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
