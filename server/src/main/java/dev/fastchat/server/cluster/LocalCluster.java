package dev.fastchat.server.cluster;

import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.NodeInfo;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/** One node alone: every session is here, so there is nothing to share. */
public final class LocalCluster implements Cluster {
    private final String nodeId;
    private final String address;
    private final IntSupplier sessions;

    public LocalCluster(String nodeId, String address, IntSupplier sessions) {
        this.nodeId = nodeId;
        this.address = address;
        this.sessions = sessions;
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public void sessionOpened(long accountId) {}

    @Override
    public void sessionClosed(long accountId) {}

    @Override
    public void publish(Collection<Long> accountIds, Envelope push) {}

    @Override
    public boolean onlineElsewhere(long accountId) {
        return false;
    }

    @Override
    public void onNodeLost(Consumer<Set<Long>> listener) {}

    @Override
    public Optional<NodeInfo> redirectTarget() {
        return Optional.empty();
    }

    @Override
    public Optional<NodeInfo> another() {
        return Optional.empty();
    }

    @Override
    public void drain() {}

    @Override
    public Optional<String> problem() {
        return Optional.empty();
    }

    @Override
    public Collection<NodeInfo> nodes() {
        return List.of(NodeInfo.newBuilder().setNodeId(nodeId).setAddress(address).setSessions(sessions.getAsInt()).build());
    }

    @Override
    public void close() {}
}
