package dev.fastchat.storage.jdbc;

import dev.fastchat.server.IdleFloors;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Properties;

/**
 * How long a durable commit takes on this disk, after 100 ms of idle and back to back: a one-row SQLite commit as the
 * server's connections make it (WAL, {@code synchronous=FULL}), the same with {@code synchronous=NORMAL} and the log
 * synced by {@code fdatasync} after each commit, a raw 4 KiB write with {@code fdatasync}, and the raw write while another
 * thread syncs a file every 5 ms. 40 of each. Bounded.
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar
 * dev.fastchat.storage.jdbc.CommitLatency [DIR]} (a directory on the disk to measure; default a temporary one).
 */
public final class CommitLatency {
    private static final int ROUNDS = 40;

    public static void main(String[] args) throws Exception {
        Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("fastchat-commit");
        Path db = dir.resolve("commit-latency.db");
        try (Connection connection = new PatientConnector("jdbc:sqlite:" + db, SqlDialect.SQLITE.connectionProperties()).getConnection();
             Statement create = connection.createStatement()) {
            create.execute("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, payload BLOB)");
        }
        sqliteCommits(db, SqlDialect.SQLITE.connectionProperties(), "SQLite commit", false);
        // The same durability by other means: SQLite's commit writes the log without syncing it, and the log is synced
        // with fdatasync (FileChannel.force(false)), which skips the inode's times; SQLite's own sync is an fsync.
        Properties normal = SqlDialect.SQLITE.connectionProperties();
        normal.setProperty("synchronous", "NORMAL");
        sqliteCommits(db, normal, "SQLite commit, synchronous=NORMAL, then fdatasync of the WAL", true);
        Path raw = dir.resolve("commit-latency.bin");
        try (FileChannel file = FileChannel.open(raw, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer page = ByteBuffer.allocate(4096);
            Step write = () -> {
                page.clear();
                file.write(page, 0);
                file.force(false);
            };
            for (long idle : new long[] {100, 0}) {
                System.out.printf("4 KiB write + fdatasync, %s%n", time(idle, write));
            }
            Path other = dir.resolve("commit-latency.warm");
            try (FileChannel warm = FileChannel.open(other, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                Thread syncing = Thread.ofPlatform().daemon(true).start(() -> {
                    try {
                        while (!Thread.currentThread().isInterrupted()) {
                            warm.write(ByteBuffer.allocate(1), 0);
                            warm.force(false);
                            Thread.sleep(5);
                        }
                    } catch (Exception stopped) {
                        // interrupted: done
                    }
                });
                for (long idle : new long[] {100, 0}) {
                    System.out.printf("4 KiB write + fdatasync, another file synced every 5 ms, %s%n", time(idle, write));
                }
                syncing.interrupt();
                syncing.join(1_000);
            }
            Files.deleteIfExists(other);
        }
        Files.deleteIfExists(raw);
        for (String suffix : new String[] {"", "-wal", "-shm"}) {
            Files.deleteIfExists(dir.resolve("commit-latency.db" + suffix));
        }
    }

    /**
     * One-row commits on a connection with {@code properties}, each followed by an fdatasync of the log if {@code syncLog}
     * (the log is the connection's from its first commit on: the last connection to close removes it): first 3,000
     * of them, which take the log past a checkpoint, so that it is written over from its start as in a server that has
     * run a while (a log that grows changes the file's size at every commit); then 40 after 100 ms of idle and 40 back
     * to back, twice.
     */
    private static void sqliteCommits(Path db, Properties properties, String label, boolean syncLog) throws Exception {
        try (Connection connection = new PatientConnector("jdbc:sqlite:" + db, properties).getConnection();
             PreparedStatement insert = connection.prepareStatement("INSERT INTO rows (payload) VALUES (?)")) {
            connection.setAutoCommit(false);
            Step write = () -> {
                insert.setBytes(1, new byte[400]);
                insert.executeUpdate();
                connection.commit();
            };
            write.run();
            try (FileChannel log = syncLog ? FileChannel.open(Path.of(db + "-wal"), StandardOpenOption.WRITE) : null) {
                Step commit = log == null ? write : () -> {
                    write.run();
                    log.force(false);
                };
                for (int i = 0; i < 3_000; i++) {
                    commit.run();
                }
                for (long idle : new long[] {100, 0, 100, 0}) {
                    System.out.printf("%s, %s%n", label, time(idle, commit));
                }
            }
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    private static String time(long idleMillis, Step step) throws Exception {
        long[] took = IdleFloors.timed(() -> {
            long start = System.nanoTime();
            step.run();
            return System.nanoTime() - start;
        }, idleMillis, ROUNDS);
        return String.format("%s: p50 %.2f ms, p90 %.2f ms", idleMillis > 0 ? "after " + idleMillis + " ms idle" : "back to back",
                took[ROUNDS / 2] / 1e6, took[ROUNDS * 9 / 10] / 1e6);
    }
}
