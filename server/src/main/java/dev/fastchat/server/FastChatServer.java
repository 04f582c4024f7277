package dev.fastchat.server;

import dev.fastchat.protocol.Envelopes;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.Limits;
import dev.fastchat.protocol.v1.Redirect;
import dev.fastchat.protocol.v1.Welcome;
import dev.fastchat.server.account.AccountService;
import dev.fastchat.server.account.KeyDirectoryService;
import dev.fastchat.server.admin.AdminServer;
import dev.fastchat.server.admin.ServerMetrics;
import dev.fastchat.server.cluster.Cluster;
import dev.fastchat.server.cluster.LocalCluster;
import dev.fastchat.server.cluster.NatsCluster;
import dev.fastchat.server.config.HostAndPort;
import dev.fastchat.server.config.ServerConfig;
import dev.fastchat.server.file.FileService;
import dev.fastchat.server.group.GroupService;
import dev.fastchat.server.message.MessageService;
import dev.fastchat.server.presence.PresenceService;
import dev.fastchat.server.session.InflightRequests;
import dev.fastchat.server.session.RequestDispatcher;
import dev.fastchat.server.session.Services;
import dev.fastchat.server.session.SessionExpiry;
import dev.fastchat.server.session.SessionRegistry;
import dev.fastchat.server.transport.TcpTransport;
import dev.fastchat.storage.StorageException;
import dev.fastchat.storage.jdbc.Database;
import dev.fastchat.storage.jdbc.DatabaseSettings;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running FastChat node: the composition root. Builds the object graph by hand from a
 * {@link ServerConfig}, and takes it down in the reverse order on {@link #close()}.
 */
public final class FastChatServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FastChatServer.class);
    /** The server's version, from the jar manifest when packaged. */
    public static final String VERSION = versionOf(FastChatServer.class);

    private final ServerConfig config;
    private final Database database;
    private final ExecutorService requests;
    private final RequestDispatcher dispatcher;
    private final TcpTransport transport;
    private final String serverId;
    private final SessionRegistry sessions;
    private final FileService files;
    private final SessionExpiry expiry;
    private final Cluster cluster;
    /** Null when the admin port is off. */
    private final AdminServer admin;
    /** Set when shutdown starts (also what /ready reports). */
    private final java.util.concurrent.atomic.AtomicBoolean closed;

    private FastChatServer(ServerConfig config, Database database, ExecutorService requests, RequestDispatcher dispatcher,
                           TcpTransport transport, String serverId, SessionRegistry sessions, FileService files,
                           Cluster cluster, AdminServer admin, java.util.concurrent.atomic.AtomicBoolean closing, SessionExpiry expiry) {
        this.expiry = expiry;
        this.closed = closing;
        this.cluster = cluster;
        this.admin = admin;
        this.sessions = sessions;
        this.files = files;
        this.config = config;
        this.database = database;
        this.requests = requests;
        this.dispatcher = dispatcher;
        this.transport = transport;
        this.serverId = serverId;
    }

    /**
     * Opens the database (migrating it), then starts listening.
     *
     * @throws StorageException if the database cannot be opened
     * @throws IOException if the listen address cannot be bound or the TLS files are unusable
     */
    public static FastChatServer start(ServerConfig config) throws IOException {
        Clock clock = Clock.systemUTC();
        SecureRandom random = new SecureRandom();
        Database database = Database.open(DatabaseSettings.of(config.databaseUrl()).withPoolSize(config.databasePoolSize())
                .withCommitLinger(config.commitLinger()));
        ExecutorService requests = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("fastchat-request-", 0).factory());
        FileService files = null;
        try {
            String serverId = database.settings()
                    .putIfAbsent("server-id", HexFormat.of().formatHex(randomBytes(random, 16)))
                    .get(30, TimeUnit.SECONDS);
            Welcome welcome = Welcome.newBuilder()
                    .setServerVersion(VERSION)
                    .setNodeId(config.nodeId())
                    .setServerId(serverId)
                    .setLimits(Limits.newBuilder()
                            .setMaxFrameBytes(config.limits().maxFrameBytes())
                            .setMaxTextBytes(dev.fastchat.protocol.MessageLimits.MAX_TEXT_BYTES)
                            .setMaxFileBytes(config.messaging().maxFileBytes())
                            .setIdleTimeoutSeconds((int) config.limits().idleTimeout().toSeconds())
                            .setMaxInflightRequests(config.limits().maxInflightRequests()))
                    .build();
            SessionRegistry sessions = new SessionRegistry();
            files = new FileService(database.files(), config.messaging(), clock, random);
            KeyDirectoryService directory = new KeyDirectoryService(database.accounts(), database.messages(), sessions);
            Services services = new Services(
                    new AccountService(database.accounts(), database.sessions(), sessions, config.accounts(), random, clock),
                    directory,
                    new MessageService(database.messages(), sessions, config.messaging(), clock, directory::current),
                    new GroupService(database.groups(), database.accounts(), sessions, config.messaging(), clock),
                    new PresenceService(sessions, database.accounts(), database.messages(), requests),
                    files);
            RequestDispatcher dispatcher = new RequestDispatcher(welcome, services, requests, config.limits().maxInflightBytes());
            TcpTransport transport = TcpTransport.start(config, dispatcher);
            Cluster cluster;
            try {
                String address = config.cluster().advertise().orElse(transport.address()).toString();
                cluster = config.cluster().clustered()
                        ? NatsCluster.join(config.cluster(), config.nodeId(), address, sessions::sessionCount,
                                (account, push) -> sessions.pushHere(account, push, null))
                        : new LocalCluster(config.nodeId(), address, sessions::sessionCount);
            } catch (IOException | RuntimeException e) {
                transport.close();
                throw e;
            }
            sessions.useCluster(cluster);
            cluster.onNodeLost(services.presence()::nodeLost);
            cluster.onPresenceRestored(services.presence()::restored);
            cluster.onBusBack(() -> sessions.pushToAllHere(
                    Envelope.newBuilder().setSyncHint(dev.fastchat.protocol.v1.SyncHint.getDefaultInstance()).build()));
            dispatcher.useCluster(cluster, config.cluster().balance().label());
            ServerMetrics metrics = new ServerMetrics();
            sessions.useMetrics(metrics);
            dispatcher.useMetrics(metrics);
            services.messages().useMetrics(metrics);
            database.writer().observeCommits(metrics::writeBatch);
            Cluster joined = cluster;
            java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
            metrics.gauge("fastchat.sessions", "logged-in sessions on this node", sessions::sessionCount);
            metrics.gauge("fastchat.connections", "open client connections", transport::connectionCount);
            metrics.gauge("fastchat.queued.bytes", "bytes written to clients and not yet sent", transport::queuedBytes);
            metrics.gauge("fastchat.inflight.bytes", "bytes of requests being served", dispatcher.inflight()::bytes);
            metrics.gauge("fastchat.inflight.held.connections", "connections not read while the node serves max-inflight-bytes of requests",
                    dispatcher.inflight()::heldConnections);
            metrics.gauge("fastchat.netty.direct.bytes", "direct memory held by the network buffers", transport::directMemoryBytes);
            metrics.gauge("fastchat.cluster.nodes", "live nodes in the cluster", () -> joined.nodes().size());
            metrics.gauge("fastchat.nats.up", "1 while the cluster bus works", () -> joined.problem().isEmpty() ? 1 : 0);
            metrics.gauge("fastchat.database.up", "1 while the database answers", () -> database.isReachable() ? 1 : 0);
            AdminServer admin = null;
            if (config.cluster().adminListen().isPresent()) {
                try {
                    admin = AdminServer.start(config.cluster().adminListen().get(), () -> closing.get() ? java.util.Optional.of("shutting down")
                            : notReady(database), joined::problem, metrics);
                } catch (IOException e) {
                    cluster.close();
                    transport.close();
                    throw new IOException("cannot listen for admin HTTP on " + config.cluster().adminListen().get() + ": " + e.getMessage(), e);
                }
                log.info("admin HTTP (/health, /ready, /metrics) on {}", admin.address());
            }
            log.info("FastChat {} node {} ready on {} (server id {})", VERSION, config.nodeId(), transport.address(), serverId);
            return new FastChatServer(config, database, requests, dispatcher, transport, serverId, sessions, files, cluster, admin, closing,
                    new SessionExpiry(sessions, database.sessions(), clock));
        } catch (IOException | RuntimeException e) {
            if (files != null) {
                files.close();
            }
            requests.shutdownNow();
            database.close();
            throw e;
        } catch (Exception e) {
            if (files != null) {
                files.close();
            }
            requests.shutdownNow();
            database.close();
            throw new StorageException("cannot read the server id from the database", e);
        }
    }

    private static byte[] randomBytes(SecureRandom random, int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }

    /** The address clients connect to (with the real port when configured with port 0). */
    public HostAndPort address() {
        return transport.address();
    }

    /** This installation's id, shared by every node on the same database. */
    public String serverId() {
        return serverId;
    }

    /** Open client connections. */
    public int connectionCount() {
        return transport.connectionCount();
    }

    /** Bytes written to clients and not yet sent. */
    public long queuedBytes() {
        return transport.queuedBytes();
    }

    /** The requests this node is serving now: their bytes, and the connections not read meanwhile. */
    public InflightRequests inflight() {
        return dispatcher.inflight();
    }

    /** Logged-in sessions on this node. */
    public int sessionCount() {
        return sessions.sessionCount();
    }

    /**
     * Why a node cannot take clients now (for /ready), or empty when it can. Without NATS it still can (it
     * is degraded: other nodes' sessions get its messages when NATS is back).
     */
    private static java.util.Optional<String> notReady(Database database) {
        return database.isReachable() ? java.util.Optional.empty() : java.util.Optional.of("the database is unreachable");
    }

    /** Where the admin HTTP port listens, if it is on. */
    public java.util.Optional<HostAndPort> adminAddress() {
        return java.util.Optional.ofNullable(admin).map(AdminServer::address);
    }

    /** The cluster this node is part of (a cluster of one without NATS). */
    public Cluster cluster() {
        return cluster;
    }

    /** The database this node stores in (for tests and tools that inspect it). */
    public Database database() {
        return database;
    }

    /** The configuration the server runs with. */
    public ServerConfig config() {
        return config;
    }

    /**
     * Graceful shutdown: stop accepting, let requests in flight finish (up to the shutdown grace), tell
     * clients to reconnect later and close them, commit what the writer holds, close the database.
     * Calling it again does nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        log.info("shutting down node {}", config.nodeId());
        cluster.drain();
        expiry.close();
        transport.stopAccepting();
        try {
            if (!dispatcher.inflight().awaitNone(config.shutdownGrace())) {
                log.warn("requests still in flight after {}; closing anyway", config.shutdownGrace());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Clients go to another live node if there is one, else they retry here later.
        transport.close(cluster.another().map(node -> Envelope.newBuilder().setRedirect(Redirect.newBuilder()
                        .setAddress(node.getAddress()).setNodeId(node.getNodeId()).setReason("shutting down")).build())
                .orElse(Envelopes.error(0, ErrorCode.UNAVAILABLE, "the server is shutting down; reconnect later")));
        cluster.close();
        if (admin != null) {
            admin.close();
        }
        files.close();
        requests.shutdown();
        database.close();
        log.info("node {} stopped", config.nodeId());
    }

    private static String versionOf(Class<?> type) {
        String version = type.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
