package dev.fastchat.app;

import dev.fastchat.app.loadgen.LoadGenerator;
import dev.fastchat.app.loadgen.Pattern;
import dev.fastchat.client.Endpoint;
import dev.fastchat.crypto.KdfParams;
import dev.fastchat.server.FastChatServer;
import dev.fastchat.server.config.ConfigLoader;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs a node's code before its first user does. The JIT compiles what runs often, so a node just started runs its
 * request paths in the interpreter, several times slower, for its first few thousand messages: a conversation's first
 * message then took 30-35 ms end to end, against 14-20 ms once the node had seen 2,000 messages.
 *
 * <p>The warm-up is the load generator's mixed day (direct messages, a group, three busy recipients) through a scratch
 * node of this JVM, on a free loopback port, in a temporary directory, which is closed and deleted before the real node
 * opens its database. The real node runs the same classes, compiled by then. The clients run in a JVM of their own
 * ({@code fastchat warm-up-clients}, hidden), so that theirs are not compiled and kept here: in this JVM they held
 * 12-14 MiB more under load, for good. Nothing of the scratch node is kept but its compiled code: its accounts,
 * messages, keys and certificate go with its directory.
 */
final class ServerWarmUp {
    /** Longest the clients may take, their JVM's start included. */
    private static final Duration CLIENTS_LIMIT = Duration.ofSeconds(120);

    private ServerWarmUp() {}

    /**
     * Sends {@code messages} through a scratch node, with TLS or without as the real node will serve.
     *
     * @return how long it took
     */
    static Duration run(int messages, boolean tls) throws Exception {
        long start = System.nanoTime();
        Path scratch = Files.createTempDirectory("fastchat-warm-up");
        // Stopped meanwhile (Ctrl-C), the node ends its clients and leaves no scratch directory behind.
        java.util.concurrent.atomic.AtomicReference<Process> clients = new java.util.concurrent.atomic.AtomicReference<>();
        Thread cleanUp = new Thread(() -> {
            Process running = clients.get();
            if (running != null) {
                running.destroyForcibly();
            }
            deleteTree(scratch);
        }, "fastchat-warm-up-clean-up");
        Runtime.getRuntime().addShutdownHook(cleanUp);
        // The scratch node's lines (its start, its log-ins, its warnings) are not the real node's: only its errors are shown.
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.fastchat");
        ch.qos.logback.classic.Level level = log.getLevel();
        log.setLevel(ch.qos.logback.classic.Level.ERROR);
        try (FastChatServer server = FastChatServer.start(ConfigLoader.load(Map.ofEntries(
                Map.entry("listen", "127.0.0.1:0"),
                Map.entry("data", scratch.resolve("data").toString()),
                Map.entry("insecure-plaintext", Boolean.toString(!tls)),
                Map.entry("web", "false"),
                Map.entry("min-kdf-memory-kib", "8"),
                Map.entry("min-kdf-iterations", "1"),
                Map.entry("send-rate", "100000"),
                Map.entry("send-burst", "100000"),
                Map.entry("exempt-addresses", "127.0.0.1"),
                Map.entry("shutdown-grace", "0s"))))) {
            runClients(server.address().port(), messages, tls, scratch, clients);
        } finally {
            log.setLevel(level);
            deleteTree(scratch);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanUp);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs, or ran
            }
        }
        shrinkHeap();
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** Runs {@code fastchat warm-up-clients} against the scratch node, in a JVM of its own, to its end. */
    private static void runClients(int port, int messages, boolean tls, Path scratch,
                                   java.util.concurrent.atomic.AtomicReference<Process> started) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED",
                // the launcher's options for client commands: they start fast, and the quick compiler is enough here
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:+UseCompactObjectHeaders"));
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(argument -> argument.startsWith("-XX:AOTCache=")).findFirst()
                .ifPresent(cache -> command.addAll(List.of(cache, "-Xlog:aot=off", "-Xlog:cds=off")));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "warm-up-clients",
                "--port", Integer.toString(port), "--messages", Integer.toString(messages), "--keys", scratch.resolve("keys").toString()));
        if (tls) {
            command.add("--tls");
        }
        Path output = scratch.resolve("clients.log");
        Process clients = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        started.set(clients);
        if (!clients.waitFor(CLIENTS_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
            clients.destroyForcibly().waitFor();
            throw new IllegalStateException("the warm-up's clients did not end within " + CLIENTS_LIMIT.toSeconds() + " s");
        }
        if (clients.exitValue() != ExitCodes.OK) {
            List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
            throw new IllegalStateException("the warm-up's clients exited with " + clients.exitValue() + ": "
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())));
        }
    }

    /**
     * What the scratch node left is garbage: a full collection now, before the node takes users, with the heap's free
     * ratios (manageable flags) set low for it, gives the heap the warm-up grew back down to what is live. Left at their
     * defaults, the collection keeps up to 70 % free: with 1,000 clients at 3,000 msgs/s, a warmed node with a 64 MiB
     * limit then held 37 MiB of heap where a cold one held 19 MiB.
     */
    private static void shrinkHeap() {
        com.sun.management.HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        String min = vm.getVMOption("MinHeapFreeRatio").getValue();
        String max = vm.getVMOption("MaxHeapFreeRatio").getValue();
        try {
            vm.setVMOption("MinHeapFreeRatio", "0"); // first: the minimum may not be above the maximum
            vm.setVMOption("MaxHeapFreeRatio", "10");
            System.gc();
        } catch (IllegalArgumentException e) { // not settable in this JVM: the collection alone
            System.gc();
        } finally {
            vm.setVMOption("MaxHeapFreeRatio", max);
            vm.setVMOption("MinHeapFreeRatio", min);
        }
    }

    private static void deleteTree(Path root) {
        try {
            ScratchDirectory.delete(root);
        } catch (IOException e) {
            // a temporary directory: left for the system to clean
        }
    }

    /**
     * {@code fastchat warm-up-clients}: the warm-up's clients, run by {@link ServerWarmUp} in a JVM of their own against
     * its scratch node. Hidden: it is not for users.
     */
    @Command(name = "warm-up-clients", hidden = true, description = "Runs the clients of a server's warm-up.")
    static final class ClientsCommand implements Callable<Integer> {
        /** The load clients: a group of eight of them, and pairs for the rest. */
        private static final int CLIENTS = 16;
        private static final int GROUP_SIZE = 8;
        /** Messages per second: the schedule's length is messages / rate. */
        private static final int RATE = 1_000;
        /**
         * The clients seal before the schedule and open one push in this many: the node's paths are what is warmed, not
         * the clients' crypto.
         */
        private static final int OPEN_ONE_IN = 10;

        @Option(names = "--port", required = true)
        int port;

        @Option(names = "--messages", required = true)
        int messages;

        @Option(names = "--keys", required = true)
        Path keys;

        @Option(names = "--tls")
        boolean tls;

        @Override
        public Integer call() throws Exception {
            // Nothing to warm once the node that started these clients is gone (killed, say): end with it.
            ProcessHandle.current().parent().ifPresent(node -> node.onExit().thenRun(() -> Runtime.getRuntime().halt(ExitCodes.REFUSED)));
            int rate = Math.min(RATE, messages);
            LoadGenerator.Options options = new LoadGenerator.Options(List.of(new Endpoint("127.0.0.1", port)), CLIENTS, Pattern.MIXED,
                    rate, Duration.ZERO, Duration.ofSeconds((messages + rate - 1) / rate), messages, GROUP_SIZE,
                    LoadGenerator.Crypto.PRESEALED, keys, KdfParams.INSECURE_FOR_TESTS, "warm-up-", !tls, OPEN_ONE_IN);
            LoadGenerator.Result result = new LoadGenerator(options, new PrintStream(java.io.OutputStream.nullOutputStream()), false).run();
            if (result.delivered() == 0) {
                System.err.println("the scratch node delivered none of " + result.offered() + " messages");
                return ExitCodes.REFUSED;
            }
            return ExitCodes.OK;
        }
    }
}
