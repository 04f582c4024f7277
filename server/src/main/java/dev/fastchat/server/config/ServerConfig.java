package dev.fastchat.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Everything a server node needs to start. Build it with {@link ConfigLoader}, which applies defaults and
 * validates; {@link #defaults()} gives the embedded single-node set-up.
 *
 * @param listen client address (TCP, with TLS when {@code tls} is set)
 * @param dataDirectory where the embedded database lives
 * @param databaseUrl JDBC URL of the database
 * @param databasePoolSize connections for reads
 * @param commitLinger how long the database writer's transaction may wait for more writes when they come faster than
 *     it commits (zero: never)
 * @param nodeId this node's name in a cluster
 * @param ioThreads Netty event-loop threads (0: one per core)
 * @param shutdownGrace how long a graceful shutdown waits for requests in flight
 * @param warmUpMessages messages {@code fastchat server} sends through a scratch node before it starts this one (the
 *     node itself does not read it)
 * @param tls TLS certificate and key, if TLS is on
 * @param limits per-connection limits
 * @param accounts account and log-in settings
 * @param messaging send rate, group size and file limits
 * @param cluster NATS, balancing and the admin port
 * @param web the web client served on the client port
 */
public record ServerConfig(HostAndPort listen, Path dataDirectory, String databaseUrl, int databasePoolSize, Duration commitLinger,
                           String nodeId, int ioThreads, Duration shutdownGrace, int warmUpMessages, Optional<TlsConfig> tls,
                           LimitsConfig limits, AccountsConfig accounts,
                           MessagingConfig messaging, ClusterConfig cluster, WebConfig web) {

    /** The embedded defaults: 127.0.0.1:7420, SQLite under ./data, one node. */
    public static ServerConfig defaults() {
        return ConfigLoader.load(java.util.Map.of());
    }

    /** Where clients reach this node: the advertised address, else the listen address. */
    public HostAndPort clientAddress() {
        return cluster.advertise().orElse(listen);
    }

    /** This configuration with another listen address. */
    public ServerConfig withListen(HostAndPort address) {
        return new ServerConfig(address, dataDirectory, databaseUrl, databasePoolSize, commitLinger, nodeId, ioThreads, shutdownGrace, warmUpMessages,
                tls, limits, accounts, messaging, cluster, web);
    }
}
