package dev.fastchat.versus;

import dev.fastchat.app.ScratchDirectory;
import dev.fastchat.app.loadgen.LoadGenerator;
import dev.fastchat.app.loadgen.Pattern;
import dev.fastchat.client.Endpoint;
import dev.fastchat.crypto.KdfParams;
import dev.fastchat.server.config.HostAndPort;
import dev.fastchat.server.testing.WireClient;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * FastChat and ejabberd side by side, interleaved, on this machine: for each client count and each rate, each
 * system in turn gets a fresh server and the same open-loop odd-even scenario (FastChat through
 * {@code fastchat loadgen}'s generator, presealed; ejabberd through {@link XmppLoad}). Writes
 * {@code versus.md} (one table), {@code versus.png} (one plot), {@code versus.csv} (every run) and the servers'
 * logs to {@code --out}. Bounded: one run per system, client count, rate and round; a system that failed two
 * rates in a row is not tried at higher ones.
 */
@Command(name = "versus", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs FastChat and ejabberd side by side (fresh servers, same scenario, interleaved) and writes one table and one plot.")
public final class Versus implements Callable<Integer> {
    static final String FASTCHAT = "fastchat";
    /** FastChat's node on PostgreSQL (a fresh database per run, on the machine's PostgreSQL), alone: no NATS. */
    static final String FASTCHAT_POSTGRES = "fastchat-postgres";
    static final String EJABBERD_MEMORY = "ejabberd-memory";
    static final String EJABBERD_DURABLE = "ejabberd-durable";
    private static final List<String> SYSTEMS = List.of(FASTCHAT, FASTCHAT_POSTGRES, EJABBERD_MEMORY, EJABBERD_DURABLE);
    private static final String DOMAIN = "bench.localhost";

    @Option(names = "--systems", split = ",", defaultValue = FASTCHAT + "," + EJABBERD_MEMORY + "," + EJABBERD_DURABLE,
            description = "which to run, in this order at each rate: fastchat (SQLite), fastchat-postgres (a fresh database on the"
                    + " machine's PostgreSQL), ejabberd-memory, ejabberd-durable (default ${DEFAULT-VALUE})")
    List<String> systems;

    @Option(names = "--clients", split = ",", defaultValue = "100,1000", description = "client counts (default ${DEFAULT-VALUE})")
    List<Integer> clientCounts;

    @Option(names = "--rates", split = ",", defaultValue = "1000,2000,3000,4000,6000,8000",
            description = "offered rates in msgs/s, rising (default ${DEFAULT-VALUE}); 1000 gives the CPU column")
    List<Integer> rates;

    @Option(names = "--warmup", defaultValue = "8", description = "seconds at the rate before the measured window (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--duration", defaultValue = "10", description = "measured seconds (default ${DEFAULT-VALUE})")
    int duration;

    @Option(names = "--rounds", defaultValue = "1", description = "times the whole sweep is repeated (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--idle", paramLabel = "N", defaultValue = "0",
            description = "instead of the sweep: hold N logged-in, idle clients on each system for 20 s and report the server's"
                    + " resident memory per connection (idle.md)")
    int idle;

    @Option(names = "--first-messages", paramLabel = "ROUNDS", defaultValue = "0",
            description = "instead of the sweep: ROUNDS times, a FastChat server just started takes its first 30 direct messages"
                    + " (6 clients log in, then send at 10 msgs/s in 3 conversations, sealed and opened in full), reported for all"
                    + " 30, for the 3 that start a conversation and for the others; a round before them warms this JVM's client"
                    + " code (--first-messages-warmup) and is reported apart (first-messages.md)")
    int firstMessages;

    @Option(names = "--first-messages-warmup", paramLabel = "MESSAGES", defaultValue = "3000",
            description = "with --first-messages: the round that warms this JVM's client code sends this many messages, at 200 msgs/s"
                    + " between " + WARMING_CLIENTS + " clients (default ${DEFAULT-VALUE}; 30 or less: a round like the others)")
    int firstMessagesWarmup;

    @Option(names = "--fastchat-jar", defaultValue = "app/target/fastchat.jar", description = "the server (default ${DEFAULT-VALUE})")
    Path fastchatJar;

    @Option(names = "--fastchat-jvm", split = " ",
            defaultValue = "-Xms16m -Xmx64m -XX:+UseSerialGC -XX:+UseCompactObjectHeaders -XX:TrimNativeHeapInterval=1000",
            description = "JVM options of FastChat's server, space-separated: by default the launcher's (compact headers, the C heap"
                    + " trimmed) with a heap sized to 1,000 clients (${DEFAULT-VALUE})")
    List<String> fastchatJvm;

    @Option(names = "--fastchat-aot-cache", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "run FastChat's server with the AOT cache the build recorded beside its jar (fastchat.aot), as the"
                    + " launcher does, when it is newer than the jar (default: on; --no-fastchat-aot-cache: off)")
    boolean aotCache;

    @Option(names = "--fastchat-open-sample", defaultValue = "10",
            description = "FastChat's recipients verify and open one message in N, as loadgen's --open-sample (default ${DEFAULT-VALUE})")
    int openSample;

    @Option(names = "--ejabberd-configs", defaultValue = "bench/ejabberd",
            description = "the folder of memory.yml and durable.yml (default ${DEFAULT-VALUE})")
    Path ejabberdConfigs;

    @Option(names = "--ejabberd-schema", defaultValue = "/usr/share/ejabberd/sql/pg.sql",
            description = "ejabberd's PostgreSQL schema, from its package (default ${DEFAULT-VALUE})")
    Path ejabberdSchema;

    @Option(names = "--out", defaultValue = "versus-results", description = "where the results go (default ${DEFAULT-VALUE})")
    Path out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Versus()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        for (String system : systems) {
            if (!SYSTEMS.contains(system)) {
                throw new IllegalArgumentException("unknown system " + system + ": use " + String.join(", ", SYSTEMS.subList(0, SYSTEMS.size() - 1))
                        + " or " + SYSTEMS.getLast());
            }
        }
        if (warmup < 1 || duration < 1 || rounds < 1 || rates.stream().anyMatch(r -> r < 1 || r > 200_000)
                || clientCounts.stream().anyMatch(c -> c < 2 || c > 20_000)) {
            throw new IllegalArgumentException("need --warmup, --duration and --rounds of at least 1, rates from 1 to 200000 and 2 to 20000 clients");
        }
        Files.createDirectories(out.resolve("logs"));
        PrintStream progress = System.err;
        if (idle > 0) {
            return idle(progress);
        }
        if (firstMessages > 0) {
            return firstMessages(progress);
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            for (int clients : clientCounts) {
                Map<String, Integer> failedInARow = new HashMap<>();
                for (int rate : rates) {
                    for (String system : systems) {
                        if (failedInARow.getOrDefault(system, 0) >= 2) {
                            continue;
                        }
                        progress.printf("== round %d, %s, %d clients, %d msgs/s%n", round, system, clients, rate);
                        Outcome outcome = run(system, clients, rate, progress);
                        progress.printf("   %s%n", VersusReport.line(outcome));
                        outcomes.add(outcome);
                        if (outcome.sustained()) {
                            failedInARow.put(system, 0);
                        } else {
                            failedInARow.merge(system, 1, Integer::sum);
                        }
                        VersusReport.write(outcomes, out, warmup, duration);
                    }
                }
            }
        }
        System.out.println(Files.readString(out.resolve("versus.md")));
        System.out.println("results in " + out.toAbsolutePath() + " (versus.md, versus.png, versus.csv, logs/)");
        return 0;
    }

    private Outcome run(String system, int clients, int rate, PrintStream progress) throws Exception {
        String tag = system + "-" + clients + "-" + rate + "-" + System.currentTimeMillis() % 100_000;
        return isFastchat(system) ? fastchat(system, clients, rate, tag, progress)
                : ejabberd(system.equals(EJABBERD_DURABLE), clients, rate, tag, progress);
    }

    private static boolean isFastchat(String system) {
        return system.equals(FASTCHAT) || system.equals(FASTCHAT_POSTGRES);
    }

    // ---- the first messages a server takes after it starts

    private int firstMessages(PrintStream progress) throws Exception {
        int clients = 6;
        int messages = 30;
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "The first %d direct messages of a FastChat server just started: %d"
                + " clients log in, then send at 10 msgs/s in %d conversations, sealed and opened in full; latency from the due time"
                + " to the opened message. The first message of each conversation also looks up the recipient's keys and announces"
                + " the sender's chain. Round 0 warms this JVM's client code (%d clients, %,d messages at 200 msgs/s). Server JVM"
                + " options: %s.%n%n"
                + "| round | all: p50 | all: max | first of each conversation: worst | the others: p50 | the others: max |%n"
                + "|---|---:|---:|---:|---:|---:|%n",
                messages, clients, clients / 2, WARMING_CLIENTS, firstMessagesWarmup, String.join(" ", fastchatJvmOptions())));
        for (int round = 0; round <= firstMessages; round++) {
            boolean warming = round == 0 && firstMessagesWarmup > messages;
            String row = firstMessagesRound(round > 0 ? Integer.toString(round) : warming ? "0 (warms this JVM)" : "0 (this JVM cold too)",
                    warming ? WARMING_CLIENTS : clients, warming ? 200 : 10, warming ? firstMessagesWarmup : messages, progress);
            progress.print(row);
            md.append(row);
        }
        Files.writeString(out.resolve("first-messages.md"), md);
        System.out.println(md);
        return 0;
    }

    private static final int WARMING_CLIENTS = 100;

    /** One round: a new server, {@code clients} new clients, {@code messages} odd-even messages at {@code rate}; its table row. */
    private String firstMessagesRound(String label, int clients, int rate, int messages, PrintStream progress) throws Exception {
        int conversations = clients / 2; // odd-even: messages 0 to clients/2 - 1 each start a conversation
        Path keys = Files.createTempDirectory("fastchat-versus-keys");
        try (Running server = startFastchat(FASTCHAT, "first-messages-" + label.split(" ")[0])) {
            LoadGenerator.Options options = new LoadGenerator.Options(List.of(new Endpoint("127.0.0.1", server.port())), clients,
                    Pattern.ODD_EVEN, rate, Duration.ZERO, Duration.ofSeconds((messages + rate - 1) / rate), messages, 2,
                    LoadGenerator.Crypto.FULL, keys, KdfParams.INSECURE_FOR_TESTS, "lg", true, 1);
            java.util.concurrent.atomic.AtomicLongArray each = new java.util.concurrent.atomic.AtomicLongArray(messages);
            LoadGenerator.Result result = new LoadGenerator(options, progress, false, new LoadGenerator.Window() {
                @Override
                public void delivered(int k, long latencyNanos) {
                    each.accumulateAndGet(k, latencyNanos, Math::max);
                }
            }).run();
            if (result.delivered() != result.expectedDeliveries() || result.lost() > 0) {
                throw new IllegalStateException("round " + label + ": " + result.delivered() + " of " + result.expectedDeliveries() + " delivered");
            }
            long[] first = java.util.stream.IntStream.range(0, conversations).mapToLong(each::get).sorted().toArray();
            long[] rest = java.util.stream.IntStream.range(conversations, messages).mapToLong(each::get).sorted().toArray();
            return String.format(Locale.ROOT, "| %s | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms |%n", label, millis(result, 50),
                    result.endToEnd().getMaxValue() / 1e6, first[first.length - 1] / 1e6, rest[rest.length / 2] / 1e6,
                    rest[rest.length - 1] / 1e6);
        } finally {
            ScratchDirectory.delete(keys);
        }
    }

    private static double millis(LoadGenerator.Result result, double percentile) {
        return result.endToEnd().getValueAtPercentile(percentile) / 1e6;
    }

    // ---- idle connections: the server's memory per logged-in client

    private int idle(PrintStream progress) throws Exception {
        StringBuilder md = new StringBuilder(String.format(Locale.ROOT, "%,d logged-in clients held idle for 20 s; the server's resident set"
                + " (from /proc) 3 s after it started and at the end. FastChat's JVM options: %s.%n%n"
                + "| system | before | with the clients | per connection |%n|---|---:|---:|---:|%n", idle, String.join(" ", fastchatJvmOptions())));
        for (String system : systems) {
            String tag = system + "-idle-" + idle;
            try (Running server = isFastchat(system) ? startFastchat(system, tag) : startEjabberd(system.equals(EJABBERD_DURABLE), tag, progress)) {
                Thread.sleep(3_000);
                long before = ServerMeter.residentKiB(server.pid());
                List<AutoCloseable> clients = new java.util.concurrent.CopyOnWriteArrayList<>();
                try {
                    connectIdle(system, server.port(), clients, progress);
                    Thread.sleep(20_000);
                    long after = ServerMeter.residentKiB(server.pid());
                    String row = String.format(Locale.ROOT, "| %s | %,d KiB | %,d KiB | **%.1f KiB** |%n", VersusReport.name(system), before, after,
                            (after - before) / (double) idle);
                    progress.print(row);
                    md.append(row);
                } finally {
                    for (AutoCloseable client : clients) {
                        client.close();
                    }
                }
            }
        }
        Files.writeString(out.resolve("idle.md"), md);
        System.out.println(md);
        return 0;
    }

    /** Logs {@code idle} clients in (registering each), 16 at a time. */
    private void connectIdle(String system, int port, List<AutoCloseable> clients, PrintStream progress) throws Exception {
        java.util.concurrent.Semaphore parallel = new java.util.concurrent.Semaphore(16);
        java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
        List<java.util.concurrent.Future<?>> all = new ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < idle; i++) {
                String name = "idle" + i;
                all.add(pool.submit(() -> {
                    parallel.acquire();
                    try {
                        if (isFastchat(system)) {
                            WireClient client = WireClient.connect(new HostAndPort("127.0.0.1", port));
                            clients.add(client::close);
                            client.hello();
                            if (!client.register(name, WireClient.random(32)).hasSession()) {
                                throw new IllegalStateException(name + " could not log in");
                            }
                        } else {
                            clients.add(XmppConnection.open("127.0.0.1", port, DOMAIN, name, "idle-" + name, true, system.equals(EJABBERD_DURABLE)));
                        }
                        if (done.incrementAndGet() % 1000 == 0) {
                            progress.printf("  %,d idle clients logged in%n", done.get());
                        }
                    } finally {
                        parallel.release();
                    }
                    return null;
                }));
            }
            for (var future : all) {
                future.get(10, TimeUnit.MINUTES);
            }
        }
    }

    /** A server started for one run: stopped, and its files removed, on close. */
    private record Running(int port, long pid, Stopper stopper) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            stopper.stop();
        }
    }

    private interface Stopper {
        void stop() throws Exception;
    }

    // ---- FastChat: its server in a process of its own, the load generator in this one

    private Outcome fastchat(String system, int clients, int rate, String tag, PrintStream progress) throws Exception {
        Path keys = Files.createTempDirectory("fastchat-versus-keys");
        try (Running server = startFastchat(system, tag)) {
            ServerMeter meter = new ServerMeter(server.pid(), system.equals(FASTCHAT_POSTGRES));
            LoadGenerator.Options options = new LoadGenerator.Options(List.of(new Endpoint("127.0.0.1", server.port())), clients, Pattern.ODD_EVEN,
                    rate, Duration.ofSeconds(warmup), Duration.ofSeconds(duration), 0, 8, LoadGenerator.Crypto.PRESEALED, keys,
                    KdfParams.INSECURE_FOR_TESTS, "lg", true, openSample);
            LoadGenerator.Result result = new LoadGenerator(options, progress, false, meter).run();
            long errors = result.errors().values().stream().mapToLong(Long::longValue).sum();
            Outcome outcome = new Outcome(system, clients, rate, result.offered(), result.acked(), result.delivered(), result.lost(), errors,
                    result.endToEnd(), result.ack(), duration);
            return meter.apply(outcome, (long) rate * duration);
        } finally {
            ScratchDirectory.delete(keys);
        }
    }

    /** The options FastChat's server runs with: {@code --fastchat-jvm}, and the build's AOT cache as the launcher uses it. */
    private List<String> fastchatJvmOptions() throws IOException {
        List<String> options = new ArrayList<>(fastchatJvm.stream().filter(s -> !s.isBlank()).toList());
        Path cache = fastchatJar.toAbsolutePath().resolveSibling("fastchat.aot");
        if (aotCache && Files.isRegularFile(cache) && Files.getLastModifiedTime(cache).compareTo(Files.getLastModifiedTime(fastchatJar)) > 0) {
            options.addAll(List.of("-XX:AOTCache=" + cache, "-Xlog:aot=off", "-Xlog:cds=off"));
        }
        return options;
    }

    private Running startFastchat(String system, String tag) throws Exception {
        Path data = Files.createTempDirectory("fastchat-versus");
        boolean postgres = system.equals(FASTCHAT_POSTGRES);
        String database = "fastchat_versus_fastchat";
        int[] ports = freePorts(2);
        int port = ports[0];
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(fastchatJvmOptions());
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-jar", fastchatJar.toString(), "server", "--insecure-plaintext",
                "--data", data.toString(), "--listen", "127.0.0.1:" + port, "--admin-listen", "127.0.0.1:" + ports[1]));
        if (postgres) {
            psql("postgres", "DROP DATABASE IF EXISTS " + database);
            psql("postgres", "CREATE DATABASE " + database);
            command.addAll(List.of("--db", "jdbc:postgresql://127.0.0.1:5432/" + database + "?user=postgres"));
        }
        // the load accounts' cheap key stretching, and no per-address limit in the way of one machine's clients
        for (String setting : List.of("min-kdf-memory-kib=8", "min-kdf-iterations=1", "send-rate=1000000", "send-burst=1000000",
                "registrations-per-address-per-hour=1000000", "max-connections-per-address=100000", "max-connections=1000000",
                "login-failure-burst-per-address=1000000", "max-inflight-requests=100000", "exempt-addresses=127.0.0.1")) {
            command.addAll(List.of("--set", setting));
        }
        Process server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.resolve("logs").resolve(tag + ".log").toFile()).start();
        Stopper stop = () -> {
            server.destroy();
            if (!server.waitFor(30, TimeUnit.SECONDS)) {
                server.destroyForcibly().waitFor();
            }
            ScratchDirectory.delete(data);
            if (postgres) {
                psql("postgres", "DROP DATABASE IF EXISTS " + database);
            }
        };
        try {
            awaitPort(port, server);
            return new Running(port, server.pid(), stop);
        } catch (Exception e) {
            stop.stop();
            throw e;
        }
    }

    // ---- ejabberd: Debian's package, started with its own config, spool, logs and node name

    private Outcome ejabberd(boolean durable, int clients, int rate, String tag, PrintStream progress) throws Exception {
        try (Running server = startEjabberd(durable, tag, progress)) {
            ServerMeter meter = new ServerMeter(server.pid(), durable);
            XmppLoad.Options options = new XmppLoad.Options("127.0.0.1", server.port(), DOMAIN, clients, Pattern.ODD_EVEN, rate,
                    Duration.ofSeconds(warmup), Duration.ofSeconds(duration), durable, true);
            Outcome outcome = new XmppLoad(options, progress, meter).run(durable ? EJABBERD_DURABLE : EJABBERD_MEMORY);
            return meter.apply(outcome, (long) rate * duration);
        }
    }

    private Running startEjabberd(boolean durable, String tag, PrintStream progress) throws Exception {
        Path home = Files.createTempDirectory("fastchat-versus-ejabberd");
        int port = freePort();
        String database = "fastchat_versus_ejabberd";
        String config = Files.readString(ejabberdConfigs.resolve(durable ? "durable.yml" : "memory.yml"))
                .replace("@PORT@", Integer.toString(port)).replace("@DATABASE@", database);
        Files.writeString(home.resolve("ejabberd.yml"), config);
        // ejabberdctl starts erl as the package's user through su, whose session allows 1,024 open files: too few for
        // 1,000 clients. Its erl is this wrapper, which raises that to the user's hard limit first.
        Path erl = home.resolve("erl");
        Files.writeString(erl, "#!/bin/sh\nulimit -n \"$(ulimit -Hn)\"\nexec /usr/bin/erl \"$@\"\n");
        erl.toFile().setExecutable(true, false);
        // the Erlang node's distribution port and epmd on loopback too, like the client port
        Files.writeString(home.resolve("ejabberdctl.cfg"), "ERL_OPTIONS=\"-env ERL_CRASH_DUMP_BYTES 0\"\nEJABBERD_PID_PATH=" + home.resolve("ejabberd.pid")
                + "\nERL=" + erl + "\nINET_DIST_INTERFACE=127.0.0.1\nERL_EPMD_ADDRESS=127.0.0.1\n");
        Files.createDirectories(home.resolve("spool"));
        Files.createDirectories(home.resolve("logs"));
        exec(List.of("chmod", "755", home.toString()));
        exec(List.of("chown", "-R", "ejabberd:ejabberd", home.toString())); // ejabberdctl runs it as the package's user
        if (durable) {
            psql("postgres", "DROP DATABASE IF EXISTS " + database);
            psql("postgres", "CREATE DATABASE " + database);
            exec(List.of("psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-f", ejabberdSchema.toString()));
        }
        List<String> ctl = List.of("ejabberdctl", "--config", home.resolve("ejabberd.yml").toString(), "--ctl-config", home.resolve("ejabberdctl.cfg").toString(),
                "--spool", home.resolve("spool").toString(), "--logs", home.resolve("logs").toString(), "--node", "fcversus@localhost");
        long[] pid = {-1};
        Stopper stop = () -> {
            stop(ctl, pid[0], progress);
            try (var logs = Files.list(home.resolve("logs"))) {
                for (Path log : logs.toList()) {
                    Files.copy(log, out.resolve("logs").resolve(tag + "-" + log.getFileName()));
                }
            }
            if (durable) { // what MAM kept: two copies of each message (the sender's archive and the recipient's)
                psql(database, "SELECT count(*) AS archived_copies FROM archive");
                psql("postgres", "DROP DATABASE IF EXISTS " + database);
            }
            ScratchDirectory.delete(home);
        };
        try {
            exec(concat(ctl, "start"));
            exec(concat(ctl, "started"));
            pid[0] = Long.parseLong(Files.readString(home.resolve("ejabberd.pid")).trim());
            awaitPort(port, null);
            return new Running(port, pid[0], stop);
        } catch (Exception e) {
            stop.stop();
            throw e;
        }
    }

    /** Stops the node, and makes sure its process is gone: the next run starts a node of the same name. */
    private static void stop(List<String> ctl, long pid, PrintStream progress) throws InterruptedException {
        for (String command : List.of("stop", "stopped")) {
            try {
                exec(concat(ctl, command));
            } catch (IOException e) {
                progress.println("ejabberd did not stop cleanly: " + e.getMessage());
            }
        }
        var process = pid > 0 ? ProcessHandle.of(pid) : java.util.Optional.<ProcessHandle>empty();
        if (process.isPresent()) {
            try {
                process.get().onExit().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                progress.println("ejabberd's process " + pid + " is still there after 30 s: killed");
                process.get().destroyForcibly();
                Thread.sleep(1_000);
            }
        }
    }

    private static void psql(String database, String sql) throws IOException, InterruptedException {
        exec(List.of("psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-c", sql));
    }

    private static List<String> concat(List<String> command, String last) {
        List<String> all = new ArrayList<>(command);
        all.add(last);
        return all;
    }

    /** Runs a command to its end (at most two minutes); its output goes to this process's standard error. */
    private static void exec(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " took over two minutes");
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed with exit code " + process.exitValue());
        }
    }

    private static int freePort() throws IOException {
        return freePorts(1)[0];
    }

    /** {@code count} different free ports: each is held until all are found, or the kernel may give one twice. */
    private static int[] freePorts(int count) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                held.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket socket : held) {
                socket.close();
            }
        }
    }

    /** Waits up to a minute for a server to listen (and gives up early if its process ended). */
    private static void awaitPort(int port, Process process) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (System.nanoTime() < deadline) {
            if (process != null && !process.isAlive()) {
                throw new IOException("the server ended with exit code " + process.exitValue() + " before it listened on " + port);
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
                return;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new IOException("nothing listened on port " + port + " within a minute");
    }

}
