package dev.fastchat.storage.jdbc;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * How long SQLite commits take when the write-ahead log is copied into the database by the commit that fills it
 * (SQLite's default: at 1,000 pages) against by a thread of its own (a passive checkpoint every 50 ms, the commit's own
 * only at 16,000 pages). Rows like the server's messages (the same table and indexes, 500 direct conversations, 420
 * bytes sealed), {@code BATCH} rows per commit, back to back; the server's connection settings. Bounded by
 * {@code ROWS}.
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar
 * dev.fastchat.storage.jdbc.WalCheckpointProbe [BATCH] [ROWS] [DIR]} (defaults 4, 100000, a temporary directory).
 */
public final class WalCheckpointProbe {
    static final int CONVERSATIONS = 500;

    public static void main(String[] args) throws Exception {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        Path dir = args.length > 2 ? Path.of(args[2]) : Files.createTempDirectory("fastchat-checkpoint");
        for (int round = 0; round < 3; round++) {
            for (boolean background : new boolean[] {false, true}) {
                System.out.println((background ? "checkpoint thread" : "commit's own   ") + " " + run(dir, batch, rows, background));
            }
        }
    }

    private static String run(Path dir, int batch, int rows, boolean background) throws Exception {
        Path db = Files.createTempDirectory(dir, "probe").resolve("probe.db");
        String url = "jdbc:sqlite:" + db;
        Properties properties = SqlDialect.SQLITE.connectionProperties();
        properties.setProperty("wal_autocheckpoint", background ? "16000" : "1000");
        ScheduledExecutorService checkpoints = Executors.newSingleThreadScheduledExecutor();
        try (Connection connection = DriverManager.getConnection(url, properties);
             Connection checkpointing = DriverManager.getConnection(url, properties)) {
            create(connection);
            if (background) {
                checkpoints.scheduleWithFixedDelay(() -> {
                    try (Statement statement = checkpointing.createStatement()) {
                        statement.execute("PRAGMA wal_checkpoint(PASSIVE)");
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }, 50, 50, TimeUnit.MILLISECONDS);
            }
            connection.setAutoCommit(false);
            long[] seqs = new long[CONVERSATIONS];
            byte[] sealed = new byte[420];
            Random random = new Random(1);
            random.nextBytes(sealed);
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpuBefore = os.getProcessCpuTime();
            long start = System.nanoTime();
            long[] commits = new long[rows / batch];
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, sealed, created_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                for (int b = 0; b < commits.length; b++) {
                    long began = System.nanoTime();
                    for (int j = 0; j < batch; j++) {
                        bindMessage(insert, random, seqs, UUID.randomUUID(), sealed);
                        insert.executeUpdate();
                    }
                    connection.commit();
                    commits[b] = System.nanoTime() - began;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuMicros = (os.getProcessCpuTime() - cpuBefore) / 1e3 / rows;
            Arrays.sort(commits);
            return String.format("batch %d: %,.0f rows/s, process CPU %.1f us/row, commit p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms,"
                    + " max %.1f ms", batch, rows / seconds, cpuMicros, millis(commits, 0.5), millis(commits, 0.99),
                    millis(commits, 0.999), commits[commits.length - 1] / 1e6);
        } finally {
            checkpoints.shutdownNow();
            checkpoints.awaitTermination(10, TimeUnit.SECONDS);
            try (var files = Files.walk(db.getParent())) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /**
     * Binds the next message of a conversation picked at random among {@link #CONVERSATIONS} (its next seq in
     * {@code seqs}), from one of its two members, to an insert of the server's message columns.
     */
    static void bindMessage(PreparedStatement insert, Random random, long[] seqs, UUID clientMsgId, byte[] sealed) throws SQLException {
        int conversation = random.nextInt(CONVERSATIONS);
        insert.setString(1, "d:" + (2 * conversation + 1) + ":" + (2 * conversation + 2));
        insert.setLong(2, ++seqs[conversation]);
        insert.setLong(3, 2L * conversation + 1 + random.nextInt(2));
        insert.setString(4, clientMsgId.toString());
        insert.setBytes(5, sealed);
        insert.setLong(6, System.currentTimeMillis());
    }

    /** The server's message table and its indexes, with the accounts and conversations its rows refer to. */
    static void create(Connection connection) throws SQLException {
        create(connection, "sender_id, client_msg_id");
    }

    /** As {@link #create(Connection)}, with the idempotency index's columns in the given order. */
    static void create(Connection connection, String idempotencyColumns) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)");
            statement.execute("CREATE TABLE conversations (id VARCHAR(48) PRIMARY KEY)");
            statement.execute("CREATE TABLE messages (conversation_id VARCHAR(48) NOT NULL REFERENCES conversations (id),"
                    + " seq BIGINT NOT NULL, sender_id BIGINT NOT NULL REFERENCES accounts (id), client_msg_id VARCHAR(64) NOT NULL,"
                    + " sealed BLOB NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (conversation_id, seq), UNIQUE (" + idempotencyColumns + "))");
            for (int i = 1; i <= 2 * CONVERSATIONS; i++) {
                statement.execute("INSERT INTO accounts VALUES (" + i + ")");
            }
            for (int i = 0; i < CONVERSATIONS; i++) {
                statement.execute("INSERT INTO conversations VALUES ('d:" + (2 * i + 1) + ":" + (2 * i + 2) + "')");
            }
        }
    }

    private static double millis(long[] sorted, double quantile) {
        return sorted[Math.min(sorted.length - 1, (int) (sorted.length * quantile))] / 1e6;
    }
}
