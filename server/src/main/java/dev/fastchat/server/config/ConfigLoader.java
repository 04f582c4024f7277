package dev.fastchat.server.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds a {@link ServerConfig} from settings in kebab-case ({@code max-frame-bytes}). Later sources win:
 * defaults, then a config file (Java properties), then {@code FASTCHAT_*} environment variables
 * ({@code FASTCHAT_MAX_FRAME_BYTES}), then command-line flags. Every problem is reported at once.
 */
public final class ConfigLoader {
    /** Every setting with its default ("" for none) and a one-line description, in display order. */
    public static final Map<String, Setting> SETTINGS = settings(
            new Setting("listen", "127.0.0.1:7420", "client address HOST:PORT (port 0: any free port)"),
            new Setting("data", "data", "data directory of the embedded SQLite database"),
            new Setting("db", "", "JDBC URL: jdbc:sqlite:PATH or jdbc:postgresql://HOST:PORT/DB (default: SQLite file under data)"),
            new Setting("db-pool-size", "8", "database connections for reads"),
            new Setting("commit-linger", "1ms", "how long a database transaction may wait for more writes when they come faster than"
                    + " it commits: fewer commits under load; a write after a quiet spell never waits (0: never)"),
            new Setting("node-id", "node-1", "this node's name in a cluster"),
            new Setting("io-threads", "0", "network threads (0: one per core)"),
            new Setting("shutdown-grace", "10s", "how long shutdown waits for requests in flight"),
            new Setting("warm-up-messages", "1000", "messages `fastchat server` first sends through a scratch node of its own, so that its"
                    + " users' first messages run compiled code (0: none)"),
            new Setting("web", "true", "serve the web client (HTTPS and a WebSocket at /ws) on the client port"),
            new Setting("web-listen", "", "another HOST:PORT serving the web client and native clients alike, such as 0.0.0.0:443 (empty: none)"),
            new Setting("tls-cert", "", "PEM certificate chain (default: a self-signed one made in data/tls on first start)"),
            new Setting("tls-key", "", "PEM private key (PKCS#8) for tls-cert"),
            new Setting("insecure-plaintext", "false", "serve plain TCP, without TLS: anyone on the network reads and changes everything (tests, benchmarks)"),
            new Setting("max-frame-bytes", "1048576", "largest frame a logged-in client may send"),
            new Setting("max-login-frame-bytes", "16384", "largest frame before log-in"),
            new Setting("idle-timeout", "60s", "close connections silent for this long"),
            new Setting("login-timeout", "10s", "close connections not logged in this long after they opened"),
            new Setting("max-inflight-requests", "64", "requests of one connection accepted at once; more wait unread in its socket"),
            new Setting("max-connections", "10000", "open client connections in all; more are refused"),
            new Setting("max-connections-per-address", "64", "open client connections from one IP address; more are refused"),
            new Setting("exempt-addresses", "", "IP addresses the per-address limits (connections, registrations) do not apply to"),
            new Setting("write-buffer-low-bytes", "16384", "unread replies below which a paused client is read again"),
            new Setting("write-buffer-high-bytes", "65536", "unread replies above which a client is paused (its requests not read)"),
            new Setting("socket-send-buffer-bytes", "131072", "kernel send buffer of a client connection (0: the kernel's autotuning, up to net.ipv4.tcp_wmem's maximum)"),
            new Setting("slow-reader-timeout", "30s", "close a client paused this long because it does not read"),
            new Setting("max-inflight-bytes", "", "requests being served, all clients together, above which no client is read until"
                    + " some are answered (default: an eighth of the JVM's heap)"),
            new Setting("max-queued-bytes", "", "unread replies of all clients above which clients behind on reading are closed (default: half the JVM's direct memory)"),
            new Setting("trusted-proxies", "", "IP addresses of load balancers that send a PROXY protocol header (v1 or v2) first"),
            new Setting("token-ttl", "30d", "how long a resume token stays valid"),
            new Setting("min-kdf-memory-kib", "19456", "weakest Argon2id memory (KiB) accepted at registration"),
            new Setting("min-kdf-iterations", "2", "weakest Argon2id iteration count accepted at registration"),
            new Setting("login-delay-first", "1s", "wait after a wrong password of an account from an address (doubles per failure)"),
            new Setting("login-delay-max", "30s", "longest wait after wrong passwords (never a lockout)"),
            new Setting("login-failure-rate-per-address", "2", "wrong passwords per second one address may make in the long run"),
            new Setting("login-failure-burst-per-address", "10", "wrong passwords one address may make at once"),
            new Setting("login-failure-rate-per-account", "1", "wrong passwords per second against one account (addresses that failed on it)"),
            new Setting("login-failure-burst-per-account", "30", "wrong passwords against one account at once"),
            new Setting("registrations-per-address-per-hour", "20", "accounts one IP address may register per hour"),
            new Setting("group-creations-per-minute", "10", "groups one account may create per minute"),
            new Setting("member-additions-per-minute", "60", "members one account may add to groups per minute"),
            new Setting("send-rate", "50", "messages per second one user may send; more get RATE_LIMITED"),
            new Setting("send-burst", "200", "messages one user may send at once before send-rate applies"),
            new Setting("notice-rate", "2", "typing notices per second one user may send (relayed, never stored); more get RATE_LIMITED"),
            new Setting("notice-burst", "10", "typing notices one user may send at once before notice-rate applies"),
            new Setting("max-group-members", "1024", "most members of one group"),
            new Setting("max-file-bytes", "26214400", "largest file a user may send (bytes; 25 MiB)"),
            new Setting("file-chunk-bytes", "262144", "bytes per encrypted upload chunk (at most max-frame-bytes - 1024)"),
            new Setting("upload-timeout", "10m", "an unfinished upload idle this long is removed, and a finished one no message shares"),
            new Setting("max-storage-bytes-per-account", "1073741824", "most bytes of files one account may have stored (1 GiB)"),
            new Setting("nats", "", "NATS URL of the cluster (nats://HOST:PORT); empty: one node, in-process bus"),
            new Setting("cluster", "fastchat", "cluster name: prefix of its NATS subjects and key-value buckets"),
            new Setting("advertise", "", "HOST:PORT clients use to reach this node (default: the listen address)"),
            new Setting("balance", "none", "none, least-loaded, random or round-robin: which node new clients are sent to"),
            new Setting("node-timeout", "10s", "a node silent this long is taken for dead (its users go offline)"),
            new Setting("admin-listen", "", "HOST:PORT of the HTTP /health, /ready and /metrics (empty: off)"));

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)?");

    /**
     * A setting.
     *
     * @param key kebab-case name
     * @param defaultValue default ("" when none)
     * @param description one line
     */
    public record Setting(String key, String defaultValue, String description) {
        /** The environment variable that sets it. */
        public String environmentVariable() {
            return "FASTCHAT_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
        }
    }

    private ConfigLoader() {}

    private static Map<String, Setting> settings(Setting... all) {
        Map<String, Setting> map = new LinkedHashMap<>();
        for (Setting setting : all) {
            map.put(setting.key(), setting);
        }
        return java.util.Collections.unmodifiableMap(map);
    }

    /** Merges file, environment and flags (later wins) and builds the configuration. */
    public static ServerConfig load(Optional<Path> file, Map<String, String> environment, Map<String, String> flags) {
        Map<String, String> merged = new LinkedHashMap<>();
        if (file.isPresent()) {
            merged.putAll(fromFile(file.get()));
        }
        merged.putAll(fromEnvironment(environment));
        merged.putAll(flags);
        return load(merged);
    }

    /** The known settings among {@code FASTCHAT_*} environment variables. */
    public static Map<String, String> fromEnvironment(Map<String, String> environment) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Setting setting : SETTINGS.values()) {
            String value = environment.get(setting.environmentVariable());
            if (value != null && !value.isBlank()) {
                values.put(setting.key(), value);
            }
        }
        return values;
    }

    /** Reads a properties file of settings; an unknown key is an error. */
    public static Map<String, String> fromFile(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new ConfigException(List.of("cannot read config file " + file + ": " + e.getMessage()));
        }
        List<String> problems = new ArrayList<>();
        Map<String, String> values = new LinkedHashMap<>();
        for (String key : properties.stringPropertyNames()) {
            if (SETTINGS.containsKey(key)) {
                values.put(key, properties.getProperty(key).strip());
            } else {
                problems.add("unknown setting '" + key + "' in " + file + " (known: " + String.join(", ", SETTINGS.keySet()) + ")");
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return values;
    }

    /** Builds and validates a configuration from settings; missing ones take their defaults. */
    public static ServerConfig load(Map<String, String> values) {
        Values reader = new Values(values);
        HostAndPort listen = reader.get("listen", HostAndPort::parse);
        Path data = reader.get("data", Path::of);
        String db = reader.raw("db");
        if (db.isEmpty() && data != null) {
            db = "jdbc:sqlite:" + data.resolve("fastchat.db");
        } else if (!db.isEmpty() && !db.startsWith("jdbc:sqlite:") && !db.startsWith("jdbc:postgresql:")) {
            reader.problems.add("db: '" + db + "' is not supported: use jdbc:sqlite:PATH or jdbc:postgresql://HOST:PORT/DATABASE");
        }
        int poolSize = reader.intIn("db-pool-size", 1, 256);
        Duration commitLinger = reader.durationIn("commit-linger", Duration.ZERO, Duration.ofMillis(100));
        String nodeId = reader.raw("node-id");
        if (!nodeId.matches("[A-Za-z0-9_.-]{1,64}")) {
            reader.problems.add("node-id: '" + nodeId + "' must be 1 to 64 letters, digits, '_', '.' or '-'");
        }
        int ioThreads = reader.intIn("io-threads", 0, 256);
        Duration grace = reader.durationIn("shutdown-grace", Duration.ZERO, Duration.ofMinutes(10));
        int warmUpMessages = reader.intIn("warm-up-messages", 0, 1_000_000);
        Optional<TlsConfig> tls = tls(reader, data);
        int maxFrameBytes = reader.intIn("max-frame-bytes", 4096, 16 << 20);
        int writeBufferLow = reader.intIn("write-buffer-low-bytes", 1024, 1 << 30);
        int writeBufferHigh = reader.intIn("write-buffer-high-bytes", 1024, 1 << 30);
        if (writeBufferHigh < writeBufferLow) {
            reader.problems.add("write-buffer-high-bytes: " + writeBufferHigh + " is below write-buffer-low-bytes (" + writeBufferLow + ")");
        }
        java.util.Set<String> exempt = addresses(reader, "exempt-addresses");
        LimitsConfig limits = new LimitsConfig(
                maxFrameBytes,
                Math.min(reader.intIn("max-login-frame-bytes", 1024, 16 << 20), maxFrameBytes),
                reader.durationIn("idle-timeout", Duration.ofSeconds(1), Duration.ofDays(1)),
                reader.durationIn("login-timeout", Duration.ofSeconds(1), Duration.ofHours(1)),
                reader.intIn("max-inflight-requests", 1, 100_000),
                addresses(reader, "trusted-proxies"),
                reader.intIn("max-connections", 1, 10_000_000),
                reader.intIn("max-connections-per-address", 1, 10_000_000),
                exempt,
                writeBufferLow,
                writeBufferHigh,
                reader.intIn("socket-send-buffer-bytes", 0, 1 << 30),
                reader.durationIn("slow-reader-timeout", Duration.ofSeconds(1), Duration.ofHours(1)),
                reader.raw("max-queued-bytes").isEmpty() ? Math.max(16L << 20, maxDirectMemory() / 2)
                        : bytesAtLeast(reader, "max-queued-bytes", 1 << 20),
                reader.raw("max-inflight-bytes").isEmpty() ? Math.max(1L << 20, Runtime.getRuntime().maxMemory() / 8)
                        : bytesAtLeast(reader, "max-inflight-bytes", 64 << 10));
        AccountsConfig accounts = new AccountsConfig(
                reader.durationIn("token-ttl", Duration.ofSeconds(2), Duration.ofDays(365)),
                reader.intIn("min-kdf-memory-kib", 8, 4 << 20),
                reader.intIn("min-kdf-iterations", 1, 64),
                reader.durationIn("login-delay-first", Duration.ZERO, Duration.ofMinutes(1)),
                reader.durationIn("login-delay-max", Duration.ZERO, Duration.ofHours(1)),
                reader.intIn("login-failure-rate-per-address", 1, 1_000_000),
                reader.intIn("login-failure-burst-per-address", 1, 1_000_000),
                reader.intIn("login-failure-rate-per-account", 1, 1_000_000),
                reader.intIn("login-failure-burst-per-account", 1, 1_000_000),
                reader.intIn("registrations-per-address-per-hour", 1, 1_000_000),
                exempt);
        long storageQuota = bytesAtLeast(reader, "max-storage-bytes-per-account", 0);
        MessagingConfig messaging = new MessagingConfig(
                reader.intIn("send-rate", 1, 1_000_000),
                reader.intIn("send-burst", 1, 1_000_000),
                reader.intIn("max-group-members", 2, 100_000),
                reader.intIn("max-file-bytes", 0, Integer.MAX_VALUE),
                // A chunk and its framing must fit in one frame: at most max-frame-bytes - 1 KiB.
                Math.min(reader.intIn("file-chunk-bytes", 1024, 8 << 20), Math.max(1024, limits.maxFrameBytes() - 1024)),
                reader.durationIn("upload-timeout", Duration.ofSeconds(1), Duration.ofDays(7)),
                storageQuota,
                reader.intIn("group-creations-per-minute", 1, 1_000_000),
                reader.intIn("member-additions-per-minute", 1, 1_000_000),
                reader.intIn("notice-rate", 1, 1_000_000),
                reader.intIn("notice-burst", 1, 1_000_000));
        ClusterConfig cluster = cluster(reader, db);
        WebConfig web = new WebConfig(reader.bool("web"), optionalAddress(reader, "web-listen"));
        if (!reader.problems.isEmpty()) {
            throw new ConfigException(reader.problems);
        }
        return new ServerConfig(listen, data, db, poolSize, commitLinger, nodeId, ioThreads, grace, warmUpMessages, tls, limits, accounts, messaging, cluster, web);
    }

    private static ClusterConfig cluster(Values reader, String db) {
        String nats = reader.raw("nats");
        if (!nats.isEmpty() && !nats.matches("(nats|tls)://[^\\s]+")) {
            reader.problems.add("nats: '" + nats + "' is not a NATS URL: write nats://HOST:PORT");
        }
        if (!nats.isEmpty() && db.startsWith("jdbc:sqlite:")) {
            reader.problems.add("nats: a cluster of several nodes needs a shared PostgreSQL database (--db jdbc:postgresql://...);"
                    + " SQLite serves one node only");
        }
        String name = reader.raw("cluster");
        if (!name.matches("[A-Za-z0-9_-]{1,32}")) {
            reader.problems.add("cluster: '" + name + "' must be 1 to 32 letters, digits, '_' or '-'");
        }
        ClusterConfig.BalancePolicy balance = null;
        String policy = reader.raw("balance");
        for (ClusterConfig.BalancePolicy candidate : ClusterConfig.BalancePolicy.values()) {
            if (candidate.label().equals(policy)) {
                balance = candidate;
            }
        }
        if (balance == null) {
            reader.problems.add("balance: '" + policy + "' is not a policy: write none, least-loaded, random or round-robin");
            balance = ClusterConfig.BalancePolicy.NONE;
        } else if (balance != ClusterConfig.BalancePolicy.NONE && nats.isEmpty()) {
            reader.problems.add("balance: " + policy + " needs a cluster (set nats)");
        }
        return new ClusterConfig(nats.isEmpty() ? Optional.empty() : Optional.of(nats), name,
                optionalAddress(reader, "advertise"), balance,
                reader.durationIn("node-timeout", Duration.ofSeconds(2), Duration.ofMinutes(10)),
                optionalAddress(reader, "admin-listen"));
    }

    private static Optional<HostAndPort> optionalAddress(Values reader, String key) {
        String value = reader.raw(key);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(HostAndPort.parse(value));
        } catch (IllegalArgumentException e) {
            reader.problems.add(key + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    /** The direct memory this JVM may use ({@code -XX:MaxDirectMemorySize}, by default as much as the heap). */
    private static long maxDirectMemory() {
        for (String option : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (option.startsWith("-XX:MaxDirectMemorySize=")) {
                try {
                    return parseBytes(option.substring("-XX:MaxDirectMemorySize=".length()));
                } catch (NumberFormatException e) {
                    break;
                }
            }
        }
        return Runtime.getRuntime().maxMemory();
    }

    /** 256m, 1g, 65536: a JVM size option. */
    private static long parseBytes(String size) {
        String lower = size.toLowerCase(Locale.ROOT);
        long unit = switch (lower.charAt(lower.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> 1;
        };
        return Long.parseLong(unit == 1 ? lower : lower.substring(0, lower.length() - 1)) * unit;
    }

    /** A number of bytes, at least {@code min} (0 when it is not one: the problem is reported). */
    private static long bytesAtLeast(Values reader, String key, long min) {
        Long bytes = reader.get(key, value -> {
            long parsed = Long.parseLong(value.strip());
            if (parsed < min) {
                throw new IllegalArgumentException("'" + value + "' must be a number of bytes, " + min + " or more");
            }
            return parsed;
        });
        return bytes == null ? 0 : bytes;
    }

    /** A comma-separated list of IP addresses (not names), in their canonical form. */
    private static java.util.Set<String> addresses(Values reader, String key) {
        java.util.Set<String> addresses = new java.util.HashSet<>();
        for (String item : reader.raw(key).split(",")) {
            String address = item.strip();
            if (address.isEmpty()) {
                continue;
            }
            if (!address.matches("[0-9.]+|[0-9a-fA-F:]+")) {
                reader.problems.add(key + ": '" + address + "' is not an IP address");
                continue;
            }
            try {
                addresses.add(java.net.InetAddress.getByName(address).getHostAddress());
            } catch (java.net.UnknownHostException e) {
                reader.problems.add(key + ": '" + address + "' is not an IP address");
            }
        }
        return java.util.Set.copyOf(addresses);
    }

    private static Optional<TlsConfig> tls(Values reader, Path data) {
        String cert = reader.raw("tls-cert");
        String key = reader.raw("tls-key");
        boolean plaintext = reader.bool("insecure-plaintext");
        if (cert.isEmpty() && key.isEmpty()) {
            if (plaintext || data == null) {
                return Optional.empty();
            }
            Path dir = data.resolve("tls");
            return Optional.of(new TlsConfig(dir.resolve("server.crt"), dir.resolve("server.key"), true));
        }
        if (plaintext) {
            reader.problems.add("insecure-plaintext and tls-cert/tls-key contradict each other: give one or the other");
        }
        if (cert.isEmpty() || key.isEmpty()) {
            reader.problems.add("tls-cert and tls-key go together: give both PEM files, or neither");
            return Optional.empty();
        }
        for (String file : List.of(cert, key)) {
            if (!Files.isReadable(Path.of(file))) {
                reader.problems.add("TLS file " + file + " does not exist or is not readable");
            }
        }
        return Optional.of(new TlsConfig(Path.of(cert), Path.of(key), false));
    }

    /** Parses {@code 500ms}, {@code 30s}, {@code 15m}, {@code 2h}, {@code 30d}; a bare number is seconds. */
    public static Duration parseDuration(String text) {
        Matcher matcher = DURATION.matcher(text.strip());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration: write for example 500ms, 30s, 15m, 2h or 30d");
        }
        long amount = Long.parseLong(matcher.group(1));
        String unit = matcher.group(2) == null ? "s" : matcher.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            default -> Duration.ofSeconds(amount);
        };
    }

    /** Reads values with defaults, collecting problems instead of stopping at the first. */
    private static final class Values {
        private final Map<String, String> values;
        private final List<String> problems = new ArrayList<>();

        Values(Map<String, String> values) {
            this.values = values;
            for (String key : values.keySet()) {
                if (!SETTINGS.containsKey(key)) {
                    problems.add("unknown setting '" + key + "'");
                }
            }
        }

        String raw(String key) {
            String value = values.get(key);
            return (value == null ? SETTINGS.get(key).defaultValue() : value).strip();
        }

        <T> T get(String key, Function<String, T> parser) {
            try {
                return parser.apply(raw(key));
            } catch (RuntimeException e) {
                problems.add(key + ": " + e.getMessage());
                return null;
            }
        }

        boolean bool(String key) {
            String value = raw(key);
            if (!value.equals("true") && !value.equals("false")) {
                problems.add(key + ": '" + value + "' is not true or false");
            }
            return value.equals("true");
        }

        int intIn(String key, int min, int max) {
            String value = raw(key);
            try {
                int parsed = Integer.parseInt(value);
                if (parsed >= min && parsed <= max) {
                    return parsed;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            problems.add(key + ": must be a whole number from " + min + " to " + max + ", got '" + value + "'");
            return min;
        }

        Duration durationIn(String key, Duration min, Duration max) {
            Duration parsed = get(key, ConfigLoader::parseDuration);
            if (parsed != null && (parsed.compareTo(min) < 0 || parsed.compareTo(max) > 0)) {
                problems.add(key + ": must be from " + min + " to " + max + ", got " + raw(key));
            }
            return parsed == null ? min : parsed;
        }
    }
}
