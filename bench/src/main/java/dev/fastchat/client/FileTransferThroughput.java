package dev.fastchat.client;

import dev.fastchat.crypto.KdfParams;
import dev.fastchat.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Upload and download throughput of one file through one node over loopback, with real encryption, the
 * client library and the server's storage (SQLite or PostgreSQL). Bounded: {@code rounds} uploads and
 * downloads of one file.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.fastchat.client.FileTransferThroughput
 * [sqlite|postgresql] [MiB] [rounds]}; PostgreSQL runs use {@code FASTCHAT_BENCH_POSTGRES_URL} and a schema
 * of their own, dropped afterwards.
 */
public final class FileTransferThroughput {
    public static void main(String[] args) throws Exception {
        String database = args.length > 0 ? args[0] : "sqlite";
        int mebibytes = args.length > 1 ? Integer.parseInt(args[1]) : 25;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Path dir = Files.createTempDirectory("fastchat-file-bench");
        Map<String, String> settings = new HashMap<>(Map.of("max-file-bytes", Integer.toString(mebibytes << 20)));
        String baseUrl = System.getenv("FASTCHAT_BENCH_POSTGRES_URL");
        String schema = "bench_files_" + ProcessHandle.current().pid();
        if (database.equals("postgresql")) {
            if (baseUrl == null || baseUrl.isBlank()) {
                throw new IllegalStateException("set FASTCHAT_BENCH_POSTGRES_URL to benchmark PostgreSQL");
            }
            execute(baseUrl, "CREATE SCHEMA " + schema);
            settings.put("db", baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema);
        }
        try (TestServer server = TestServer.start(dir.resolve("server"), settings);
             ChatClient alice = client(server, dir); ChatClient bob = client(server, dir)) {
            alice.register("alice", "pw".toCharArray()).get(30, TimeUnit.SECONDS);
            bob.register("bob", "pw".toCharArray()).get(30, TimeUnit.SECONDS);
            Path file = dir.resolve("file.bin");
            byte[] block = new byte[1 << 20];
            try (var out = Files.newOutputStream(file)) {
                for (int i = 0; i < mebibytes; i++) {
                    ThreadLocalRandom.current().nextBytes(block);
                    out.write(block);
                }
            }
            for (int round = 1; round <= rounds; round++) {
                long start = System.nanoTime();
                alice.files().send(Target.user("bob"), file).get(10, TimeUnit.MINUTES);
                double up = (System.nanoTime() - start) / 1e9;
                String fileId = bob.history(Target.user("alice"), 0, 1).get(60, TimeUnit.SECONDS).getFirst().file().fileId();
                start = System.nanoTime();
                Path saved = bob.files().fetch(fileId, dir.resolve("downloads")).get(10, TimeUnit.MINUTES);
                double down = (System.nanoTime() - start) / 1e9;
                System.out.printf("%s, %d MiB, round %d: upload %.1f MiB/s (%.2f s), download %.1f MiB/s (%.2f s)%n",
                        database, mebibytes, round, mebibytes / up, up, mebibytes / down, down);
                Files.delete(saved);
            }
        } finally {
            if (database.equals("postgresql")) {
                execute(baseUrl, "DROP SCHEMA " + schema + " CASCADE");
            }
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    private static ChatClient client(TestServer server, Path dir) throws Exception {
        ChatClient client = ChatClient.builder().insecurePlaintext(true).server("127.0.0.1", server.port()).keyStoreDirectory(dir.resolve("keys"))
                .registrationKdf(KdfParams.INSECURE_FOR_TESTS).build();
        client.connect().get(30, TimeUnit.SECONDS);
        return client;
    }

    private static void execute(String url, String sql) throws Exception {
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
