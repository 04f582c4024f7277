package dev.fastchat.server.cluster;

import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.NodeInfo;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What a node shares with the others (DESIGN.md section 7): pushes for sessions held elsewhere, who is
 * online anywhere, which nodes are alive, and where new clients should go. A single node uses
 * {@link LocalCluster}; a cluster uses {@link NatsCluster}.
 */
public interface Cluster extends AutoCloseable {

    /** This node's id. */
    String nodeId();

    /** An account's first session on this node started. */
    void sessionOpened(long accountId);

    /** An account's last session on this node ended. */
    void sessionClosed(long accountId);

    /** Delivers a push to the sessions of these accounts on other nodes (this node pushes to its own). */
    void publish(Collection<Long> accountIds, Envelope push);

    /** Whether another node holds a session of the account. */
    boolean onlineElsewhere(long accountId);

    /** Called with the accounts that went offline because the node holding them died. */
    void onNodeLost(Consumer<Set<Long>> listener);

    /**
     * Called with accounts that have sessions on this node which the cluster had lost (this node was taken for
     * dead while paused or cut off, or the bus lost its state) and this node announced again: their contacts
     * should be told they are online.
     */
    default void onPresenceRestored(Consumer<Set<Long>> listener) {}

    /** Called when the bus works again after an outage: pushes from other nodes may have been lost meanwhile. */
    default void onBusBack(Runnable listener) {}

    /** The node a new client should use instead of this one, if the balancing policy picks another. */
    Optional<NodeInfo> redirectTarget();

    /** A live node other than this one (for clients of a node that shuts down). */
    Optional<NodeInfo> another();

    /** This node stops taking new clients (it is shutting down). */
    void drain();

    /**
     * Whether the bus is usable; when it is not, the reason. The node still stores and acknowledges messages
     * and delivers them to its own sessions; those on other nodes get them when the bus is back.
     */
    Optional<String> problem();

    /** Live nodes, this one included. */
    Collection<NodeInfo> nodes();

    @Override
    void close();
}
