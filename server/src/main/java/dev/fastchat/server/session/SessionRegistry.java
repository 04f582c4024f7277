package dev.fastchat.server.session;

import dev.fastchat.protocol.v1.Envelope;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The logged-in sessions of this node, by account. Thread-safe. Pushes through it are best effort: a
 * session that is gone by the time of the push misses it and catches up with {@code Sync}.
 */
public final class SessionRegistry {
    private final Map<Long, Set<Connection>> byAccount = new ConcurrentHashMap<>();
    private final Map<Connection, Long> accountOf = new ConcurrentHashMap<>();
    private final AtomicInteger sessions = new AtomicInteger();

    /**
     * Records that {@code connection} is logged in as {@code accountId} (moving it from another account).
     *
     * @return whether this is the account's first session on this node
     */
    public boolean add(long accountId, Connection connection) {
        Long previous = accountOf.put(connection, accountId);
        if (previous != null) {
            if (previous == accountId) {
                return false;
            }
            detach(previous, connection);
        } else {
            sessions.incrementAndGet();
        }
        boolean[] first = {false};
        byAccount.compute(accountId, (id, set) -> {
            Set<Connection> connections = set == null ? ConcurrentHashMap.newKeySet() : set;
            first[0] = connections.isEmpty();
            connections.add(connection);
            return connections;
        });
        return first[0];
    }

    /**
     * Forgets a session (log-out or disconnect).
     *
     * @return the account whose last session on this node it was, or 0 if it was not logged in or the
     *     account has other sessions
     */
    public long remove(Connection connection) {
        Long accountId = accountOf.remove(connection);
        if (accountId == null) {
            return 0;
        }
        sessions.decrementAndGet();
        return detach(accountId, connection) ? accountId : 0;
    }

    private boolean detach(long accountId, Connection connection) {
        boolean[] last = {false};
        byAccount.computeIfPresent(accountId, (id, set) -> {
            set.remove(connection);
            last[0] = set.isEmpty();
            return set.isEmpty() ? null : set;
        });
        return last[0];
    }

    /** Whether the account has a session on this node. */
    public boolean isOnline(long accountId) {
        return byAccount.containsKey(accountId);
    }

    /** Accounts with a session on this node. */
    public Set<Long> onlineAccounts() {
        return byAccount.keySet();
    }

    /** Logged-in sessions on this node. */
    public int sessionCount() {
        return sessions.get();
    }

    /** Pushes {@code push} to every session of these accounts. */
    public void push(Collection<Long> accountIds, Envelope push) {
        push(accountIds, push, null);
    }

    /** Pushes {@code push} to every session of these accounts except {@code except} (may be null). */
    public void push(Collection<Long> accountIds, Envelope push, Connection except) {
        for (long accountId : accountIds) {
            push(accountId, push, except);
        }
    }

    /** Pushes to every session of one account except {@code except} (may be null). */
    public void push(long accountId, Envelope push, Connection except) {
        Set<Connection> connections = byAccount.get(accountId);
        if (connections != null) {
            for (Connection connection : connections) {
                if (connection != except) {
                    connection.send(push);
                }
            }
        }
    }
}
