package dev.fastchat.app;

import dev.fastchat.server.FastChatServer;
import dev.fastchat.server.config.ConfigException;
import dev.fastchat.server.config.ConfigLoader;
import dev.fastchat.server.config.ServerConfig;
import dev.fastchat.storage.StorageException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fastchat server}: runs a node until SIGTERM or SIGINT, then shuts down gracefully. */
@Command(name = "server", mixinStandardHelpOptions = true,
        header = "Runs a FastChat server node.",
        description = "With no options: 127.0.0.1:7420, SQLite under ./data. A cluster: several nodes with one "
                + "--db jdbc:postgresql://... and one --nats nats://... (see docs/deployment.md). Settings come from "
                + "(later wins) defaults, --config FILE, FASTCHAT_* environment variables, options.")
final class ServerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "a properties file of settings (key = value)")
    Path config;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "client address (default 127.0.0.1:7420)")
    String listen;

    @Option(names = "--data", paramLabel = "DIR", description = "data directory (default ./data)")
    String data;

    @Option(names = "--db", paramLabel = "JDBC_URL", description = "jdbc:sqlite:PATH or jdbc:postgresql://HOST:PORT/DB")
    String db;

    @Option(names = "--node-id", paramLabel = "ID", description = "this node's name (default node-1)")
    String nodeId;

    @Option(names = "--nats", paramLabel = "URL", description = "NATS (with JetStream) of a cluster: nats://HOST:PORT; needs --db jdbc:postgresql:...")
    String nats;

    @Option(names = "--admin-listen", paramLabel = "HOST:PORT", description = "HTTP /health, /ready and /metrics (default off)")
    String adminListen;

    @Option(names = "--balance", paramLabel = "POLICY", description = "none, least-loaded, random or round-robin (default none)")
    String balance;

    @Option(names = "--advertise", paramLabel = "HOST:PORT", description = "the address clients use for this node (default: --listen)")
    String advertise;

    @Option(names = "--tls-cert", paramLabel = "PEM",
            description = "certificate chain for TLS on the client port (default: a self-signed one, made in the data directory on first start)")
    String tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "private key (PKCS#8) of --tls-cert")
    String tlsKey;

    @Option(names = "--insecure-plaintext",
            description = "serve plain TCP without TLS: anyone on the network reads the auth keys and can pose as this server (tests, benchmarks)")
    boolean insecurePlaintext;

    @Option(names = "--max-frame-bytes", paramLabel = "N", description = "largest client frame (default 1048576)")
    String maxFrameBytes;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", description = "close silent connections (default 60s)")
    String idleTimeout;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "any other setting (see the list below)")
    Map<String, String> extra = new LinkedHashMap<>();

    static String settingsTable() {
        StringBuilder table = new StringBuilder();
        for (ConfigLoader.Setting setting : ConfigLoader.SETTINGS.values()) {
            table.append(String.format("  %-31s %s%n      %s%s%n", setting.key(), setting.environmentVariable(),
                    setting.description(), setting.defaultValue().isEmpty() ? "" : " (default " + setting.defaultValue() + ")"));
        }
        return table.toString();
    }

    @Override
    public Integer call() throws InterruptedException {
        Map<String, String> flags = new LinkedHashMap<>(extra);
        put(flags, "listen", listen);
        put(flags, "data", data);
        put(flags, "db", db);
        put(flags, "node-id", nodeId);
        put(flags, "tls-cert", tlsCert);
        put(flags, "tls-key", tlsKey);
        if (insecurePlaintext) {
            flags.put("insecure-plaintext", "true");
        }
        put(flags, "max-frame-bytes", maxFrameBytes);
        put(flags, "idle-timeout", idleTimeout);
        put(flags, "nats", nats);
        put(flags, "admin-listen", adminListen);
        put(flags, "balance", balance);
        put(flags, "advertise", advertise);
        ServerConfig serverConfig;
        try {
            serverConfig = ConfigLoader.load(Optional.ofNullable(config), System.getenv(), flags);
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("fastchat server: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        if (serverConfig.warmUpMessages() > 0) {
            warmUp(serverConfig);
        }
        FastChatServer server;
        try {
            server = FastChatServer.start(serverConfig);
        } catch (IOException | StorageException e) {
            spec.commandLine().getErr().println("fastchat server: cannot start: " + e.getMessage());
            return ExitCodes.REFUSED;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "fastchat-shutdown"));
        spec.commandLine().getOut().println("FastChat server listening on " + server.address() + " (Ctrl-C to stop)");
        spec.commandLine().getOut().flush();
        stopped.await();
        return ExitCodes.OK;
    }

    /** Runs this JVM's request paths before the node takes users (a warm-up that fails is reported, and the node starts). */
    private void warmUp(ServerConfig serverConfig) {
        try {
            java.time.Duration took = ServerWarmUp.run(serverConfig.warmUpMessages(), serverConfig.tls().isPresent());
            org.slf4j.LoggerFactory.getLogger(ServerCommand.class).info("warmed up: {} messages through a scratch node in {} ms"
                    + " (warm-up-messages)", serverConfig.warmUpMessages(), took.toMillis());
        } catch (Exception e) {
            org.slf4j.LoggerFactory.getLogger(ServerCommand.class).warn("the warm-up failed; starting cold", e);
        }
    }

    private static void put(Map<String, String> flags, String key, String value) {
        if (value != null) {
            flags.put(key, value);
        }
    }
}
