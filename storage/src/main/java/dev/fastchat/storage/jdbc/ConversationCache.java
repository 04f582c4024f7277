package dev.fastchat.storage.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the writer knows of conversations, so that a send reads nothing from the database: each conversation's newest
 * seq, its current members, who may not send in it (a direct conversation whose other member blocked the sender) and
 * its group's name; the recipients each sender chain was announced to; the names of accounts.
 *
 * <p>Only the writer thread uses it. What a transaction changes here is staged and kept only when the transaction
 * commits (the writer tells it as a {@link GroupCommitWriter.TransactionListener}), so a rolled-back batch leaves
 * nothing behind. Every change of members or blocks {@link #invalidate}s the conversation in the same transaction, and
 * bumps its {@code members_version} in the database.
 *
 * <p>When the database is shared by several nodes ({@code shared}), another node may send in a conversation or change
 * its members: a batch of sends then takes its seqs from the conversations' rows, in the statement that locks them and
 * returns their {@code members_version}, and a conversation whose version moved is read again. When one node owns the
 * database, what is here is the truth (loaded on first use after a start) and a send reads nothing.
 */
final class ConversationCache implements GroupCommitWriter.TransactionListener {
    static final int CAPACITY = 50_000;

    /**
     * A conversation as a send needs it.
     *
     * @param members the current members, in ascending order
     * @param memberSet the same, to look up
     * @param recipientList the members as a chain's announced recipients are kept (ascending, comma-separated)
     * @param refusedSenders members who may not send (a direct conversation's member blocked by the other)
     * @param groupName the group's name, or empty for a direct conversation
     */
    record State(String id, boolean direct, String groupName, long lastSeq, long version, List<Long> members,
                 Set<Long> memberSet, String recipientList, Set<Long> refusedSenders) {
        State withLastSeq(long seq) {
            return new State(id, direct, groupName, seq, version, members, memberSet, recipientList, refusedSenders);
        }
    }

    private final boolean shared;
    private final Map<String, State> states = lru();
    private final Map<String, String> chains = lru();
    private final Map<Long, String> names = lru();
    /** This transaction's changes: a state, or null for one to read again. */
    private final Map<String, State> staged = new HashMap<>();
    private final Map<String, String> stagedChains = new HashMap<>();

    ConversationCache(boolean shared) {
        this.shared = shared;
    }

    private static <K, V> Map<K, V> lru() {
        return new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > CAPACITY;
            }
        };
    }

    /** Whether other nodes may write to the same database (then the seqs in the cache are not the truth). */
    boolean shared() {
        return shared;
    }

    /** The conversation as this transaction sees it, read from the database on first use; empty if it does not exist. */
    Optional<State> state(Connection connection, String id) throws SQLException {
        State state;
        if (staged.containsKey(id)) {
            state = staged.get(id);
        } else {
            state = states.get(id);
        }
        if (state == null) {
            state = load(connection, id);
            if (state == null) {
                return Optional.empty();
            }
            staged.put(id, state);
        }
        return Optional.of(state);
    }

    /** The conversation's current members: from here where this node owns the database, else from the database. */
    List<Long> currentMembers(Connection connection, String id) throws SQLException {
        return shared ? JdbcMessageRepository.activeMembers(connection, id) : state(connection, id).map(State::members).orElse(List.of());
    }

    /** Keeps {@code state} as this transaction's view of its conversation (it must come from {@link #state}). */
    void put(State state) {
        staged.put(state.id(), state);
    }

    /** Forgets the conversation: its members or blocks change in this transaction, so it is read again. */
    void invalidate(String id) {
        staged.put(id, null);
    }

    /** The recipients {@code senderId}'s chain {@code chainId} was announced to in the conversation, if it was. */
    Optional<String> chainRecipients(Connection connection, String conversationId, long senderId, byte[] chainId)
            throws SQLException {
        String key = conversationId + "/" + senderId + "/" + HexFormat.of().formatHex(chainId);
        String recipients = stagedChains.get(key);
        if (recipients == null) {
            recipients = chains.get(key);
        }
        if (recipients == null) {
            recipients = Jdbc.query(connection,
                    "SELECT recipients FROM sender_chains WHERE conversation_id = ? AND sender_id = ? AND chain_id = ?", s -> {
                        s.setString(1, conversationId);
                        s.setLong(2, senderId);
                        s.setBytes(3, chainId);
                    }, row -> row.getString(1)).stream().findFirst().orElse(null);
            if (recipients != null) {
                stagedChains.put(key, recipients); // an announcement never changes once stored
            }
        }
        return Optional.ofNullable(recipients);
    }

    /** An account's name (names never change). */
    String name(Connection connection, long accountId) throws SQLException {
        String name = names.get(accountId);
        if (name == null) {
            name = Jdbc.query(connection, "SELECT name FROM accounts WHERE id = ?", s -> s.setLong(1, accountId), row -> row.getString(1))
                    .stream().findFirst().orElseThrow(() -> new SQLException("account " + accountId + " has no row"));
            names.put(accountId, name);
        }
        return name;
    }

    private State load(Connection connection, String id) throws SQLException {
        Optional<Object[]> row = Jdbc.query(connection, """
                SELECT c.kind, %s, c.members_version, g.name FROM conversations c
                LEFT JOIN chat_groups g ON g.id = c.group_id WHERE c.id = ?
                """.formatted(JdbcMessageRepository.NEWEST_SEQ), s -> s.setString(1, id), r -> new Object[] {r.getString(1), r.getLong(2), r.getLong(3), r.getString(4)})
                .stream().findFirst();
        if (row.isEmpty()) {
            return null;
        }
        boolean direct = "direct".equals(row.get()[0]);
        List<Long> members = JdbcMessageRepository.activeMembers(connection, id);
        Set<Long> refused = Set.of();
        if (direct && members.size() == 2) {
            long low = members.get(0);
            long high = members.get(1);
            refused = Jdbc.query(connection, """
                    SELECT blocked_id FROM blocks WHERE (account_id = ? AND blocked_id = ?) OR (account_id = ? AND blocked_id = ?)
                    """, s -> {
                        s.setLong(1, low);
                        s.setLong(2, high);
                        s.setLong(3, high);
                        s.setLong(4, low);
                    }, r -> r.getLong(1)).stream().collect(Collectors.toUnmodifiableSet());
        }
        String groupName = row.get()[3] == null ? "" : (String) row.get()[3];
        return new State(id, direct, groupName, (long) row.get()[1], (long) row.get()[2], List.copyOf(members),
                Set.copyOf(members), JdbcMessageRepository.recipientList(members), refused);
    }

    @Override
    public void committed() {
        staged.forEach((id, state) -> {
            if (state == null) {
                states.remove(id);
            } else {
                states.put(id, state);
            }
        });
        chains.putAll(stagedChains);
        staged.clear();
        stagedChains.clear();
    }

    @Override
    public void rolledBack() {
        staged.clear();
        stagedChains.clear();
    }

    /**
     * Forgets everything: after the database failed (what it holds now may differ from what was kept here, as after a
     * constraint broken by rows written behind this node's back), or when asked to.
     */
    @Override
    public void failed() {
        rolledBack();
        states.clear();
        chains.clear();
        names.clear();
    }
}
