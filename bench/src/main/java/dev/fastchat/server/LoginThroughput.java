package dev.fastchat.server;

import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;

/**
 * Log-ins per second on one node (SQLite, loopback). Argon2id is client-side and excluded: the clients
 * send precomputed auth keys, so this measures the server's share (hash check, session insert through the
 * group-commit writer, response). Bounded: {@code connections x rounds} log-ins.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.fastchat.server.LoginThroughput [connections] [rounds]}
 */
public final class LoginThroughput {
    public static void main(String[] args) throws Exception {
        int connections = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        Path dir = Files.createTempDirectory("fastchat-login-bench");
        try (TestServer server = TestServer.start(dir, Map.of("login-failure-burst-per-address", "1000000"))) {
            List<String> names = new ArrayList<>();
            List<byte[]> keys = new ArrayList<>();
            try (WireClient setup = server.connect()) {
                setup.hello();
                for (int i = 0; i < connections; i++) {
                    names.add("user" + i);
                    keys.add(WireClient.random(32));
                    setup.register(names.get(i), keys.get(i));
                }
            }
            LongAdder done = new LongAdder();
            LongAdder failed = new LongAdder();
            long start = System.nanoTime();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> futures = new ArrayList<>();
                for (int c = 0; c < connections; c++) {
                    int index = c;
                    futures.add(pool.submit(() -> {
                        try (WireClient client = server.connect()) {
                            client.hello();
                            for (int r = 0; r < rounds; r++) {
                                Envelope response = client.login(names.get(index), keys.get(index));
                                (response.hasSession() ? done : failed).increment();
                            }
                        }
                    }));
                }
                for (Future<?> future : futures) {
                    future.get();
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%d log-ins (%d failed) over %d connections in %.2f s: %.0f log-ins/s%n",
                    done.sum(), failed.sum(), connections, seconds, done.sum() / seconds);
        }
    }
}
