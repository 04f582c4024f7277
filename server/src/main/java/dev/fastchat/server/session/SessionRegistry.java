package dev.fastchat.server.session;

import dev.fastchat.protocol.EncodedEnvelope;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.server.admin.ServerMetrics;
import dev.fastchat.server.cluster.Cluster;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The logged-in sessions of this node, by account, and the way to push to sessions anywhere in the cluster.
 * Thread-safe. Pushes through it are best effort: a session that is gone by the time of the push misses it
 * and catches up with {@code Sync}.
 */
public final class SessionRegistry {
    private volatile Cluster cluster;
    /**
     * Each account's connections on this node. Copy-on-write sets: every push iterates one, log-ins and log-outs change
     * it, and an account has a few connections (iterating a concurrent hash set of one scans its empty table).
     */
    private final Map<Long, Set<Connection>> byAccount = new ConcurrentHashMap<>();
    private final Map<Connection, Long> accountOf = new ConcurrentHashMap<>();
    private final AtomicInteger sessions = new AtomicInteger();

    private volatile ServerMetrics metrics;

    /** Counts pushed messages and their delivery latency. */
    public void useMetrics(ServerMetrics serverMetrics) {
        this.metrics = serverMetrics;
    }

    /** Shares sessions and pushes with the other nodes of a cluster (none until called). */
    public void useCluster(Cluster shared) {
        this.cluster = shared;
    }

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
            Set<Connection> connections = set == null ? new java.util.concurrent.CopyOnWriteArraySet<>() : set;
            first[0] = connections.isEmpty();
            connections.add(connection);
            return connections;
        });
        Cluster shared = cluster;
        if (first[0] && shared != null) {
            shared.sessionOpened(accountId);
        }
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
        Cluster shared = cluster;
        if (last[0] && shared != null) {
            shared.sessionClosed(accountId);
        }
        return last[0];
    }

    /** Whether the account has a session on this node or, in a cluster, on another live node. */
    public boolean isOnline(long accountId) {
        Cluster shared = cluster;
        return byAccount.containsKey(accountId) || (shared != null && shared.onlineElsewhere(accountId));
    }

    /** Accounts with a session on this node. */
    public Set<Long> onlineAccounts() {
        return byAccount.keySet();
    }

    /** Why the cluster bus is unusable now, if it is. */
    public java.util.Optional<String> clusterProblem() {
        Cluster shared = cluster;
        return shared == null ? java.util.Optional.empty() : shared.problem();
    }

    /** Logged-in sessions on this node. */
    public int sessionCount() {
        return sessions.get();
    }

    /** Pushes {@code push} to every session on this node. */
    public void pushToAllHere(Envelope push) {
        for (long accountId : onlineAccounts()) {
            pushHere(accountId, push, null);
        }
    }

    /** Pushes {@code push} to every session of these accounts. */
    public void push(Collection<Long> accountIds, Envelope push) {
        push(accountIds, push, null);
    }

    /**
     * Pushes {@code push} to every session of these accounts except {@code except} (may be null): here,
     * and through the cluster on other nodes.
     */
    public void push(Collection<Long> accountIds, Envelope push, Connection except) {
        pushHere(accountIds, push, except);
        Cluster shared = cluster;
        if (shared != null) {
            shared.publish(accountIds, push);
        }
    }

    /** Pushes to every session of one account, on every node, except {@code except} (may be null). */
    public void push(long accountId, Envelope push, Connection except) {
        push(java.util.List.of(accountId), push, except);
    }

    /**
     * Ends sessions of an account: every live connection of the session whose token hash this is (of every
     * session, with {@code tokenHash} null) gets {@code SessionEnded} and is closed, here and on the other nodes
     * of a cluster; {@code except} (the connection that asked, may be null) stays open.
     */
    public void endSessions(long accountId, byte[] tokenHash, String reason, Connection except) {
        endHere(accountId, tokenHash, reason, except);
        Cluster shared = cluster;
        if (shared != null) {
            shared.publish(java.util.List.of(accountId), Envelope.newBuilder().setSessionEnded(
                    dev.fastchat.protocol.v1.SessionEnded.newBuilder().setReason(reason)
                            .setTokenHash(com.google.protobuf.ByteString.copyFrom(tokenHash == null ? new byte[0] : tokenHash))).build());
        }
    }

    /** Closes this node's connections whose session expired before {@code now}. */
    public void endExpired(java.time.Instant now) {
        for (Map.Entry<Connection, Long> entry : accountOf.entrySet()) {
            entry.getKey().state().loggedIn().filter(session -> !session.expiresAt().isAfter(now)).ifPresent(session ->
                    entry.getKey().close(ended("the session expired; log in again")));
        }
    }

    private void endHere(long accountId, byte[] tokenHash, String reason, Connection except) {
        Set<Connection> connections = byAccount.get(accountId);
        if (connections == null) {
            return;
        }
        for (Connection connection : connections) {
            boolean matches = connection.state().loggedIn()
                    .map(session -> tokenHash == null || java.util.Arrays.equals(session.tokenHash(), tokenHash)).orElse(false);
            if (matches && connection != except) {
                connection.close(ended(reason));
            }
        }
    }

    private static Envelope ended(String reason) {
        return Envelope.newBuilder().setSessionEnded(dev.fastchat.protocol.v1.SessionEnded.newBuilder().setReason(reason)).build();
    }

    /** Pushes to the sessions of one account on this node only, except {@code except} (may be null). */
    public void pushHere(long accountId, Envelope push, Connection except) {
        pushHere(java.util.List.of(accountId), push, except);
    }

    /**
     * Pushes to every session of these accounts on this node, except {@code except} (may be null). The push is
     * serialized once for all of them (a group's message goes to hundreds of sessions).
     */
    public void pushHere(Collection<Long> accountIds, Envelope push, Connection except) {
        if (push.hasSessionEnded()) { // from another node: close, do not forward
            var ended = push.getSessionEnded();
            for (long accountId : accountIds) {
                endHere(accountId, ended.getTokenHash().isEmpty() ? null : ended.getTokenHash().toByteArray(), ended.getReason(), except);
            }
            return;
        }
        EncodedEnvelope encoded = null;
        try {
            for (long accountId : accountIds) {
                Set<Connection> connections = byAccount.get(accountId);
                if (connections == null) {
                    continue;
                }
                for (Connection connection : connections) {
                    if (connection != except) {
                        if (encoded == null) {
                            encoded = EncodedEnvelope.of(push);
                        }
                        connection.send(encoded);
                        ServerMetrics counted = metrics;
                        if (counted != null && push.hasDeliver()) {
                            counted.pushedMessage(push.getDeliver().getMessage().getServerTimeMs());
                        }
                    }
                }
            }
        } finally {
            if (encoded != null) {
                encoded.release();
            }
        }
    }
}
