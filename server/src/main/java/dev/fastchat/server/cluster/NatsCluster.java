package dev.fastchat.server.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.fastchat.protocol.v1.ClusterPush;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.NodeInfo;
import dev.fastchat.server.config.ClusterConfig;
import dev.fastchat.server.config.ClusterConfig.BalancePolicy;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.api.StorageType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node of a cluster that shares one NATS server (with JetStream) and one PostgreSQL database.
 *
 * <ul>
 *   <li><b>Routing.</b> For every account with a session here, the node subscribes to
 *       {@code fastchat.<cluster>.user.<id>}. A push for an account is published there after commit and
 *       delivered by whichever nodes hold its sessions. NATS is only the doorbell: a lost notification
 *       delays delivery until the client's next sync and loses nothing.</li>
 *   <li><b>Node registry.</b> Every node renews its {@link NodeInfo} in the key-value bucket
 *       {@code <cluster>-nodes} every quarter of the node timeout; every node watches the bucket, and a node
 *       not heard of for the node timeout is dead.</li>
 *   <li><b>Presence.</b> Key {@code <account>.<node>} in {@code <cluster>-presence} while the account has a
 *       session on that node. An account is online while one of its nodes is alive, so the users of a
 *       killed node go offline within the node timeout, and the survivors report them offline.</li>
 *   <li><b>Balancing.</b> {@link #redirectTarget()} applies the policy to the live nodes: the fewest
 *       sessions, a random one, or the next in turn by a counter kept in {@code <cluster>-balance} and
 *       advanced with compare-and-set, so that nodes never hand out the same turn twice.</li>
 * </ul>
 */
public final class NatsCluster implements Cluster {
    private static final Logger log = LoggerFactory.getLogger(NatsCluster.class);
    private static final String COUNTER = "round-robin";

    private final ClusterConfig config;
    private final String nodeId;
    private final String address;
    private final IntSupplier sessions;
    private final BiConsumer<Long, Envelope> deliverLocally;
    private final Connection nats;
    private final Dispatcher dispatcher;
    private final KeyValue nodesBucket;
    private final KeyValue presenceBucket;
    private final KeyValue balanceBucket;
    private final ScheduledExecutorService timers;
    private final SecureRandom random = new SecureRandom();
    /** Live nodes as last heard of, with when (System.nanoTime), this one included. */
    private final Map<String, Heard> nodes = new ConcurrentHashMap<>();
    /** Which nodes hold sessions of each account, as the presence bucket says. */
    private final Map<Long, Set<String>> presence = new ConcurrentHashMap<>();
    private final List<Consumer<Set<Long>>> nodeLostListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Set<Long>>> restoredListeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> busBackListeners = new CopyOnWriteArrayList<>();
    /** Accounts with a session on this node: re-announced whenever the cluster's view has lost them. */
    private final Set<Long> localAccounts = ConcurrentHashMap.newKeySet();
    private volatile List<io.nats.client.impl.NatsKeyValueWatchSubscription> watches = List.of();
    /**
     * Clients this node sent to each node since that node last renewed its entry: counted in at once, so a
     * burst of log-ins between two renewals spreads instead of piling onto the node that looked emptiest.
     */
    private final Map<String, java.util.concurrent.atomic.AtomicInteger> sentSinceRenewal = new ConcurrentHashMap<>();
    private volatile boolean draining;
    /** When {@link #findDeadNodes()} last ran (System.nanoTime), to tell this node's own stalls from the others' silence. */
    private long lastLook = System.nanoTime();

    private record Heard(NodeInfo info, long atNanos) {}

    private NatsCluster(ClusterConfig config, String nodeId, String address, IntSupplier sessions,
                        BiConsumer<Long, Envelope> deliverLocally, Connection nats) throws IOException, JetStreamApiException,
            InterruptedException {
        this.config = config;
        this.nodeId = nodeId;
        this.address = address;
        this.sessions = sessions;
        this.deliverLocally = deliverLocally;
        this.nats = nats;
        this.dispatcher = nats.createDispatcher(this::onPush);
        this.nodesBucket = bucket(nats, config.name() + "-nodes", config.nodeTimeout().multipliedBy(3));
        this.presenceBucket = bucket(nats, config.name() + "-presence", Duration.ZERO);
        this.balanceBucket = bucket(nats, config.name() + "-balance", Duration.ZERO);
        for (String key : presenceBucket.keys()) { // what a previous life of this node left behind
            if (key.endsWith("." + nodeId)) {
                presenceBucket.delete(key);
            }
        }
        heartbeat();
        watch();
        this.timers = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("fastchat-cluster").daemon(true).factory());
        long beat = Math.max(200, config.nodeTimeout().toMillis() / 4);
        timers.scheduleWithFixedDelay(this::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
        timers.scheduleWithFixedDelay(this::findDeadNodes, 250, 250, TimeUnit.MILLISECONDS);
    }

    /**
     * Connects to NATS, creates the buckets if needed, and joins the cluster.
     *
     * @param deliverLocally pushes an envelope to this node's sessions of an account
     * @throws IOException if NATS cannot be reached or JetStream is not enabled on it
     */
    public static NatsCluster join(ClusterConfig config, String nodeId, String address, IntSupplier sessions,
                                   BiConsumer<Long, Envelope> deliverLocally) throws IOException {
        String url = config.natsUrl().orElseThrow();
        Connection nats;
        java.util.concurrent.atomic.AtomicReference<NatsCluster> joined = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            nats = Nats.connect(new Options.Builder().server(url).connectionName("fastchat-" + nodeId)
                    .maxReconnects(-1).reconnectWait(Duration.ofMillis(500)).connectionTimeout(Duration.ofSeconds(5))
                    // A publish must never hold up an acknowledgement: while NATS is away and the queue of pushes is full,
                    // pushes are dropped (the sessions elsewhere sync when told the bus is back) instead of waiting for room.
                    .discardMessagesWhenOutgoingQueueFull()
                    .connectionListener((connection, event) -> {
                        log.info("NATS: {}", event);
                        NatsCluster cluster = joined.get();
                        if (cluster != null && event == io.nats.client.ConnectionListener.Events.RESUBSCRIBED) {
                            cluster.timers.execute(cluster::busBack); // off the NATS thread: it waits for NATS
                        }
                    })
                    .build());
        } catch (IOException e) {
            throw new IOException("cannot connect to NATS at " + url + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to NATS", e);
        }
        try {
            NatsCluster cluster = new NatsCluster(config, nodeId, address, sessions, deliverLocally, nats);
            joined.set(cluster);
            log.info("node {} joined cluster {} on {} ({} live node(s), balance {})", nodeId, config.name(), url,
                    cluster.nodes().size(), config.balance().label());
            return cluster;
        } catch (IOException | JetStreamApiException e) {
            closeQuietly(nats);
            throw new IOException("NATS at " + url + " has no usable JetStream (start nats-server with -js): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            closeQuietly(nats);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while joining the cluster", e);
        }
    }

    /** Watches the node registry and the presence bucket (from their current values on). */
    private void watch() throws IOException, JetStreamApiException, InterruptedException {
        watches = List.of(nodesBucket.watchAll(watcher(this::onNode)), presenceBucket.watchAll(watcher(this::onPresence)));
    }

    /**
     * NATS is back after an outage. The buckets are made again if NATS lost its store; the view of the nodes
     * and of presence is read again from them (changes missed meanwhile included); this node announces itself
     * and its sessions again; and the listeners are told (sessions here may have missed pushes).
     */
    private void busBack() {
        try {
            bucket(nats, config.name() + "-nodes", config.nodeTimeout().multipliedBy(3));
            bucket(nats, config.name() + "-presence", Duration.ZERO);
            bucket(nats, config.name() + "-balance", Duration.ZERO);
            for (var watch : watches) {
                try {
                    watch.unsubscribe();
                } catch (RuntimeException e) {
                    log.debug("cluster: an old watch did not end cleanly: {}", e.getMessage());
                }
            }
            // Read presence again from the bucket, and put this node's own entries again: NATS may have lost
            // them (a store wiped, or writes it had not yet synced to disk when it stopped).
            presence.clear();
            for (String key : presenceBucket.keys()) { // sessions that ended here while NATS was away
                if (key.endsWith("." + nodeId) && !localAccounts.contains(Long.parseLong(key.substring(0, key.indexOf('.'))))) {
                    presenceBucket.delete(key);
                }
            }
            watch();
            heartbeat();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            log.warn("cluster: could not read the cluster's state again after NATS came back: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        busBackListeners.forEach(Runnable::run);
    }

    private static KeyValue bucket(Connection nats, String name, Duration ttl) throws IOException, JetStreamApiException {
        try {
            nats.keyValueManagement().getStatus(name);
        } catch (JetStreamApiException missing) {
            KeyValueConfiguration.Builder bucket = KeyValueConfiguration.builder().name(name).storageType(StorageType.File)
                    .maxHistoryPerKey(1);
            if (!ttl.isZero()) {
                bucket.ttl(ttl);
            }
            try {
                nats.keyValueManagement().create(bucket.build());
            } catch (JetStreamApiException raced) {
                nats.keyValueManagement().getStatus(name); // another node created it meanwhile
            }
        }
        return nats.keyValue(name);
    }

    private static KeyValueWatcher watcher(Consumer<KeyValueEntry> handler) {
        return new KeyValueWatcher() {
            @Override
            public void watch(KeyValueEntry entry) {
                try {
                    handler.accept(entry);
                } catch (RuntimeException e) {
                    log.warn("cluster: bad entry {}: {}", entry.getKey(), e.getMessage());
                }
            }

            @Override
            public void endOfData() {}
        };
    }

    // ---- routing

    private String subject(long accountId) {
        return "fastchat." + config.name() + ".user." + accountId;
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public void sessionOpened(long accountId) {
        localAccounts.add(accountId);
        dispatcher.subscribe(subject(accountId));
        presence.computeIfAbsent(accountId, id -> ConcurrentHashMap.newKeySet()).add(nodeId);
        if (problem().isEmpty()) { // else announced when NATS is back
            kv(() -> presenceBucket.put(accountId + "." + nodeId, new byte[] {1}));
        }
    }

    @Override
    public void sessionClosed(long accountId) {
        localAccounts.remove(accountId);
        dispatcher.unsubscribe(subject(accountId));
        presence.computeIfPresent(accountId, (id, holders) -> {
            holders.remove(nodeId);
            return holders.isEmpty() ? null : holders;
        });
        if (problem().isEmpty()) { // else its key is deleted when NATS is back
            kv(() -> presenceBucket.delete(accountId + "." + nodeId));
        }
    }

    @Override
    public void publish(Collection<Long> accountIds, Envelope push) {
        // To every account, not only those the presence view shows elsewhere: a session that has just
        // opened on another node may not be in this node's view yet, and NATS drops a message nobody
        // subscribed to at almost no cost.
        byte[] payload = ClusterPush.newBuilder().setOriginNode(nodeId).setEnvelope(push.toByteString()).build().toByteArray();
        try {
            for (long accountId : accountIds) {
                nats.publish(subject(accountId), payload); // kept in the client's reconnect buffer while NATS is away
            }
        } catch (IllegalStateException e) {
            // The reconnect buffer is full (or the connection closed): the message is stored all the same, and the
            // sessions elsewhere fetch it when told the bus is back.
            log.debug("cluster: a push was not passed on: {}", e.getMessage());
        }
    }

    private void onPush(io.nats.client.Message message) {
        try {
            ClusterPush push = ClusterPush.parseFrom(message.getData());
            if (push.getOriginNode().equals(nodeId)) {
                return; // this node pushed to its own sessions already
            }
            String subject = message.getSubject();
            long accountId = Long.parseLong(subject.substring(subject.lastIndexOf('.') + 1));
            deliverLocally.accept(accountId, Envelope.parseFrom(push.getEnvelope()));
        } catch (InvalidProtocolBufferException | NumberFormatException e) {
            log.warn("cluster: dropped a malformed push on {}: {}", message.getSubject(), e.getMessage());
        }
    }

    // ---- presence and the node registry

    @Override
    public boolean onlineElsewhere(long accountId) {
        Set<String> holders = presence.get(accountId);
        if (holders == null) {
            return false;
        }
        for (String holder : holders) {
            if (!holder.equals(nodeId) && nodes.containsKey(holder)) {
                return true;
            }
        }
        return false;
    }

    private void onPresence(KeyValueEntry entry) {
        String key = entry.getKey();
        int dot = key.indexOf('.');
        long accountId = Long.parseLong(key.substring(0, dot));
        String holder = key.substring(dot + 1);
        if (entry.getOperation() == KeyValueOperation.PUT) {
            presence.computeIfAbsent(accountId, id -> ConcurrentHashMap.newKeySet()).add(holder);
        } else {
            presence.computeIfPresent(accountId, (id, holders) -> {
                holders.remove(holder);
                return holders.isEmpty() ? null : holders;
            });
        }
    }

    private void onNode(KeyValueEntry entry) {
        if (entry.getOperation() != KeyValueOperation.PUT) {
            nodes.remove(entry.getKey());
            return;
        }
        try {
            NodeInfo info = NodeInfo.parseFrom(entry.getValue());
            nodes.put(info.getNodeId(), new Heard(info, System.nanoTime()));
            sentSinceRenewal.remove(info.getNodeId()); // its own count includes them now
        } catch (InvalidProtocolBufferException e) {
            log.warn("cluster: malformed registry entry {}", entry.getKey());
        }
    }

    private void heartbeat() {
        NodeInfo me = self();
        nodes.put(nodeId, new Heard(me, System.nanoTime()));
        if (problem().isPresent()) {
            return; // renewed when NATS is back (a write now would only wait for its timeout)
        }
        kv(() -> nodesBucket.put(nodeId, me.toByteArray()));
        reassertPresence();
    }

    /**
     * Announces again the sessions of this node that the cluster's view has lost: after this node was taken for
     * dead (paused, or cut off from NATS, for longer than the node timeout) the others deleted them.
     */
    private void reassertPresence() {
        if (problem().isPresent()) {
            return; // announced when NATS is back
        }
        Set<Long> restored = new HashSet<>();
        for (long accountId : localAccounts) {
            Set<String> holders = presence.get(accountId);
            if (holders != null && holders.contains(nodeId)) {
                continue;
            }
            try {
                presenceBucket.put(accountId + "." + nodeId, new byte[] {1});
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                log.debug("cluster: presence of account {} not announced again yet: {}", accountId, e.getMessage());
                continue;
            }
            if (localAccounts.contains(accountId)) {
                presence.computeIfAbsent(accountId, id -> ConcurrentHashMap.newKeySet()).add(nodeId);
                restored.add(accountId);
            } else {
                // Its last session here closed meanwhile, and may have deleted the key before the put above: delete it
                // again, or the user would stay shown online.
                kv(() -> presenceBucket.delete(accountId + "." + nodeId));
            }
        }
        if (!restored.isEmpty()) {
            log.info("announced {} user(s) with sessions here again: the cluster had lost them", restored.size());
            restoredListeners.forEach(listener -> listener.accept(Set.copyOf(restored)));
        }
    }

    private NodeInfo self() {
        return NodeInfo.newBuilder().setNodeId(nodeId).setAddress(address).setSessions(sessions.getAsInt())
                .setUpdatedAtMs(System.currentTimeMillis()).setDraining(draining).build();
    }

    /**
     * Forgets nodes not heard of for the node timeout, and reports their users offline. When the silence was this
     * node's own, nobody is declared dead for it: while NATS is away from this node (it hears nobody), and after a
     * stall of this node itself (the process paused, or starved of CPU, for half the node timeout or more), the
     * others are given a new node timeout to be heard of. Their users stay shown as they were meanwhile.
     */
    private void findDeadNodes() {
        long now = System.nanoTime();
        long stalled = now - lastLook;
        lastLook = now;
        if (problem().isPresent()) {
            nodes.replaceAll((node, heard) -> new Heard(heard.info(), now));
            return;
        }
        if (stalled > config.nodeTimeout().toNanos() / 2) {
            log.warn("this node did not run for {} ms: the other nodes are given {} to be heard of again",
                    TimeUnit.NANOSECONDS.toMillis(stalled), config.nodeTimeout());
            nodes.replaceAll((node, heard) -> new Heard(heard.info(), now));
            return;
        }
        for (Heard heard : List.copyOf(nodes.values())) {
            String node = heard.info().getNodeId();
            if (node.equals(nodeId) || now - heard.atNanos() < config.nodeTimeout().toNanos()) {
                continue;
            }
            if (!nodes.remove(node, heard)) {
                continue;
            }
            Set<Long> lost = new HashSet<>();
            presence.forEach((accountId, holders) -> {
                if (holders.remove(node)) {
                    kv(() -> presenceBucket.delete(accountId + "." + node));
                    if (holders.stream().noneMatch(nodes::containsKey)) {
                        lost.add(accountId);
                    }
                }
            });
            log.warn("node {} is gone (silent for over {}); {} user(s) offline", node, config.nodeTimeout(), lost.size());
            if (!lost.isEmpty()) {
                nodeLostListeners.forEach(listener -> listener.accept(Set.copyOf(lost)));
            }
        }
    }

    @Override
    public void onNodeLost(Consumer<Set<Long>> listener) {
        nodeLostListeners.add(listener);
    }

    @Override
    public void onPresenceRestored(Consumer<Set<Long>> listener) {
        restoredListeners.add(listener);
    }

    @Override
    public void onBusBack(Runnable listener) {
        busBackListeners.add(listener);
    }

    @Override
    public Collection<NodeInfo> nodes() {
        List<NodeInfo> live = new ArrayList<>();
        for (Heard heard : nodes.values()) {
            live.add(heard.info().getNodeId().equals(nodeId) ? self() : heard.info());
        }
        live.sort(Comparator.comparing(NodeInfo::getNodeId));
        return live;
    }

    // ---- balancing

    @Override
    public Optional<NodeInfo> redirectTarget() {
        if (config.balance() == BalancePolicy.NONE || draining) {
            return Optional.empty();
        }
        List<NodeInfo> candidates = nodes().stream().filter(n -> !n.getDraining()).toList();
        if (candidates.size() < 2) {
            return Optional.empty();
        }
        NodeInfo chosen = switch (config.balance()) {
            case LEAST_LOADED -> {
                // fewest sessions (with the clients sent there since its last renewal); on a tie, this node
                // (no redirect), then by id
                NodeInfo least = candidates.stream()
                        .min(Comparator.comparingInt(this::expectedSessions).thenComparing(n -> !n.getNodeId().equals(nodeId))
                                .thenComparing(NodeInfo::getNodeId))
                        .orElseThrow();
                if (!least.getNodeId().equals(nodeId)) {
                    sentSinceRenewal.computeIfAbsent(least.getNodeId(), n -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
                }
                yield least;
            }
            case RANDOM -> candidates.get(random.nextInt(candidates.size()));
            case ROUND_ROBIN -> candidates.get((int) Math.floorMod(nextTurn(), (long) candidates.size()));
            case NONE -> throw new IllegalStateException();
        };
        return chosen.getNodeId().equals(nodeId) ? Optional.empty() : Optional.of(chosen);
    }

    private int expectedSessions(NodeInfo node) {
        java.util.concurrent.atomic.AtomicInteger sent = sentSinceRenewal.get(node.getNodeId());
        return node.getSessions() + (sent == null ? 0 : sent.get());
    }

    /** The cluster's next turn: a shared counter advanced with compare-and-set (no two nodes get the same turn). */
    private long nextTurn() {
        for (int attempt = 0; attempt < 20; attempt++) {
            try {
                KeyValueEntry current = balanceBucket.get(COUNTER);
                if (current == null || current.getOperation() != KeyValueOperation.PUT) {
                    balanceBucket.create(COUNTER, ByteBuffer.allocate(8).putLong(1).array());
                    return 0;
                }
                long turn = ByteBuffer.wrap(current.getValue()).getLong();
                balanceBucket.update(COUNTER, ByteBuffer.allocate(8).putLong(turn + 1).array(), current.getRevision());
                return turn;
            } catch (JetStreamApiException conflict) {
                // another node took this turn first: read again
            } catch (IOException e) {
                break;
            }
        }
        log.warn("cluster: the round-robin counter is unavailable; picking at random");
        return random.nextInt(1 << 20);
    }

    @Override
    public Optional<NodeInfo> another() {
        return nodes().stream().filter(n -> !n.getNodeId().equals(nodeId) && !n.getDraining())
                .min(Comparator.comparingInt(NodeInfo::getSessions));
    }

    @Override
    public void drain() {
        draining = true;
        heartbeat();
    }

    @Override
    public Optional<String> problem() {
        Connection.Status status = nats.getStatus();
        return status == Connection.Status.CONNECTED ? Optional.empty() : Optional.of("NATS is " + status.name().toLowerCase(java.util.Locale.ROOT));
    }

    @FunctionalInterface
    private interface KvCall {
        void run() throws IOException, JetStreamApiException;
    }

    /** A key-value write that may fail while NATS is away: logged; renewed by the next heartbeat. */
    private static void kv(KvCall call) {
        try {
            call.run();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            log.debug("cluster: key-value write failed: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        timers.shutdownNow();
        for (long accountId : List.copyOf(presence.keySet())) {
            Set<String> holders = presence.get(accountId);
            if (holders != null && holders.contains(nodeId)) {
                kv(() -> presenceBucket.delete(accountId + "." + nodeId));
            }
        }
        kv(() -> nodesBucket.delete(nodeId));
        closeQuietly(nats);
    }

    private static void closeQuietly(Connection nats) {
        try {
            nats.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
