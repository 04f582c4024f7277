package dev.fastchat.app;

import dev.fastchat.app.loadgen.LoadGenerator;
import dev.fastchat.app.loadgen.Pattern;
import dev.fastchat.client.Endpoint;
import dev.fastchat.crypto.KdfParams;
import dev.fastchat.server.FastChatServer;
import dev.fastchat.server.config.ConfigLoader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs a node's code before its first user does. The JIT compiles what runs often, so a node just started runs its
 * request paths in the interpreter, several times slower, for its first few thousand messages: a conversation's first
 * message then took 30-35 ms end to end, against 14-20 ms once the node had seen 2,000 messages.
 *
 * <p>The warm-up is the load generator's mixed day (direct messages, a group, three busy recipients) between real
 * clients over loopback (the client library, sealing before the schedule), through a scratch node of this JVM in a
 * temporary directory, which is closed and deleted before the real node opens its database. The real node runs the same classes, compiled by then. Nothing
 * of the scratch node is kept but that: its accounts, messages, keys and certificate go with its directory.
 */
final class ServerWarmUp {
    /** The load clients: a group of eight of them, and pairs for the rest. */
    private static final int CLIENTS = 16;
    private static final int GROUP_SIZE = 8;
    /** Messages per second: the schedule's length is messages / rate. */
    private static final int RATE = 1_000;
    /**
     * The clients seal before the schedule and open one push in this many: the node's paths are what is warmed, and
     * the clients' crypto, which runs in this JVM too, would take most of the time.
     */
    private static final int OPEN_ONE_IN = 10;

    private ServerWarmUp() {}

    /**
     * Sends {@code messages} through a scratch node, with TLS or without as the real node will serve.
     *
     * @return how long it took
     */
    static Duration run(int messages, boolean tls) throws Exception {
        long start = System.nanoTime();
        Path scratch = Files.createTempDirectory("fastchat-warm-up");
        // The scratch node's lines (its start, its log-ins, its warnings) are not the real node's: only its errors are shown.
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.fastchat");
        ch.qos.logback.classic.Level level = log.getLevel();
        log.setLevel(ch.qos.logback.classic.Level.ERROR);
        try {
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
                int rate = Math.min(RATE, messages);
                LoadGenerator.Options options = new LoadGenerator.Options(
                        List.of(new Endpoint("127.0.0.1", server.address().port())), CLIENTS, Pattern.MIXED, rate, Duration.ZERO,
                        Duration.ofSeconds((messages + rate - 1) / rate), messages, GROUP_SIZE, LoadGenerator.Crypto.PRESEALED,
                        scratch.resolve("keys"), KdfParams.INSECURE_FOR_TESTS, "warm-up-", !tls, OPEN_ONE_IN);
                LoadGenerator.Result result = new LoadGenerator(options, new PrintStream(java.io.OutputStream.nullOutputStream()), false).run();
                if (result.delivered() == 0) {
                    throw new IllegalStateException("the scratch node delivered none of " + result.offered() + " messages");
                }
            }
        } finally {
            log.setLevel(level);
            deleteTree(scratch);
        }
        shrinkHeap();
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /**
     * What the scratch node and its clients left is garbage: a full collection now, before the node takes users, with
     * the heap's free ratios (manageable flags) set low for it, gives the heap the warm-up grew back down to what is
     * live. Left at their defaults, the collection keeps up to 70 % free: with 1,000 clients at 3,000 msgs/s, a warmed
     * node with a 64 MiB limit then held 37 MiB of heap where a cold one held 19 MiB.
     */
    private static void shrinkHeap() {
        com.sun.management.HotSpotDiagnosticMXBean vm = java.lang.management.ManagementFactory.getPlatformMXBean(
                com.sun.management.HotSpotDiagnosticMXBean.class);
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
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temporary directory: left for the system to clean
        }
    }
}
