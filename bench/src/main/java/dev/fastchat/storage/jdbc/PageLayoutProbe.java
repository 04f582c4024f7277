package dev.fastchat.storage.jdbc;

import dev.fastchat.app.ScratchDirectory;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;

/**
 * What SQLite's page size, its page cache, its checkpoints, reads through {@code mmap}, and the order of client message ids
 * and of the idempotency index's columns do to the server's write path: rows like
 * the server's messages (the same table and indexes as {@link WalCheckpointProbe}, 500 direct conversations, 420 bytes
 * sealed), inserted as the writer does ({@code ON CONFLICT DO NOTHING}), {@code BATCH} rows per commit, back to back,
 * with the server's connection settings. For each layout: rows per second, the process's CPU per row, and the bytes it
 * wrote and read per row (from {@code /proc/self/io}: the log's pages, and the checkpoints' copies). Two rounds,
 * interleaved; bounded by {@code ROWS}.
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar
 * dev.fastchat.storage.jdbc.PageLayoutProbe [BATCH] [ROWS] [DIR] [LAYOUTS]} (defaults 4, 100000, a temporary directory, all
 * layouts; {@code LAYOUTS} is a comma-separated list of indexes into {@link #ALL_LAYOUTS}, an empty {@code DIR} is the
 * default).
 */
public final class PageLayoutProbe {
    /**
     * One layout: the page size, the page cache (KiB, 0: SQLite's default), whether ids are time-ordered, whether the
     * idempotency index puts the id before the sender, the log's size in pages that starts a checkpoint (0: SQLite's
     * default, 1,000) and the bytes read through {@code mmap} (0: none).
     */
    private record Layout(String name, int pageSize, int cacheKib, boolean timeOrderedIds, boolean idFirst, int checkpointPages,
                          long mmapBytes) {
        Layout(String name, int pageSize, int cacheKib, boolean timeOrderedIds) {
            this(name, pageSize, cacheKib, timeOrderedIds, false, 0, 0);
        }
    }

    private static final List<Layout> ALL_LAYOUTS = List.of(
            new Layout("4 KiB pages (the server's)", 4096, 0, false),
            new Layout("2 KiB pages", 2048, 0, false),
            new Layout("1 KiB pages", 1024, 0, false),
            new Layout("4 KiB pages, a 32 MiB cache", 4096, 32 * 1024, false),
            new Layout("4 KiB pages, time-ordered ids", 4096, 0, true),
            new Layout("time-ordered ids, index (client_msg_id, sender_id)", 4096, 0, true, true, 0, 0),
            new Layout("checkpoint at 16,000 pages", 4096, 0, false, false, 16_000, 0),
            new Layout("reads through mmap", 4096, 0, false, false, 0, 256L << 20),
            new Layout("time-ordered ids first, checkpoint at 16,000 pages, mmap", 4096, 0, true, true, 16_000, 256L << 20),
            new Layout("time-ordered ids first, checkpoint at 16,000 pages", 4096, 0, true, true, 16_000, 0));

    private PageLayoutProbe() {}

    public static void main(String[] args) throws Exception {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        Path dir = args.length > 2 && !args[2].isEmpty() ? Path.of(args[2]) : Files.createTempDirectory("fastchat-pages");
        List<Layout> layouts = args.length > 3
                ? java.util.Arrays.stream(args[3].split(",")).map(i -> ALL_LAYOUTS.get(Integer.parseInt(i))).toList()
                : ALL_LAYOUTS;
        for (int round = 0; round < 2; round++) {
            for (Layout layout : layouts) {
                System.out.println(layout.name() + ": " + run(dir, layout, batch, rows));
            }
        }
    }

    private static String run(Path dir, Layout layout, int batch, int rows) throws Exception {
        Path db = Files.createTempDirectory(dir, "probe").resolve("probe.db");
        String url = "jdbc:sqlite:" + db;
        try {
            // The page size is fixed when the file is made, before the write-ahead log is turned on.
            try (Connection first = DriverManager.getConnection(url); Statement statement = first.createStatement()) {
                statement.execute("PRAGMA page_size = " + layout.pageSize());
                statement.execute("CREATE TABLE made (x)");
            }
            Properties properties = SqlDialect.SQLITE.connectionProperties();
            if (layout.cacheKib() > 0) {
                properties.setProperty("cache_size", String.valueOf(-layout.cacheKib()));
            }
            if (layout.checkpointPages() > 0) {
                properties.setProperty("wal_autocheckpoint", String.valueOf(layout.checkpointPages()));
            }
            try (Connection connection = DriverManager.getConnection(url, properties)) {
                if (layout.mmapBytes() > 0) {
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("PRAGMA mmap_size = " + layout.mmapBytes());
                    }
                }
                WalCheckpointProbe.create(connection, layout.idFirst() ? "client_msg_id, sender_id" : "sender_id, client_msg_id");
                try (Statement statement = connection.createStatement(); ResultSet size = statement.executeQuery("PRAGMA page_size")) {
                    size.next();
                    if (size.getInt(1) != layout.pageSize()) {
                        throw new IllegalStateException("the file has " + size.getInt(1) + "-byte pages");
                    }
                }
                connection.setAutoCommit(false);
                return insert(connection, layout, batch, rows);
            }
        } finally {
            ScratchDirectory.delete(db.getParent());
        }
    }

    private static String insert(Connection connection, Layout layout, int batch, int rows) throws Exception {
        long[] seqs = new long[WalCheckpointProbe.CONVERSATIONS];
        byte[] sealed = new byte[420];
        Random random = new Random(1);
        random.nextBytes(sealed);
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpuBefore = os.getProcessCpuTime();
        long[] ioBefore = io();
        long start = System.nanoTime();
        long counter = 0;
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO messages (conversation_id, seq, sender_id,"
                + " client_msg_id, sealed, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT ("
                + (layout.idFirst() ? "client_msg_id, sender_id" : "sender_id, client_msg_id") + ") DO NOTHING")) {
            for (int b = 0; b < rows / batch; b++) {
                for (int j = 0; j < batch; j++) {
                    UUID id = layout.timeOrderedIds() // milliseconds first, as a UUIDv7 has them
                            ? new UUID((System.currentTimeMillis() << 16) | (counter++ & 0xffff), random.nextLong())
                            : UUID.randomUUID();
                    WalCheckpointProbe.bindMessage(insert, random, seqs, id, sealed);
                    insert.executeUpdate();
                }
                connection.commit();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] ioAfter = io();
        return String.format("%,.0f rows/s, process CPU %.1f us/row, written %.1f KiB/row, read %.1f KiB/row", rows / seconds,
                (os.getProcessCpuTime() - cpuBefore) / 1e3 / rows, (ioAfter[0] - ioBefore[0]) / 1024.0 / rows,
                (ioAfter[1] - ioBefore[1]) / 1024.0 / rows);
    }

    /** Bytes this process has written and read through system calls ({@code wchar}, {@code rchar}). */
    private static long[] io() throws Exception {
        long[] counts = new long[2];
        for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
            if (line.startsWith("wchar:")) {
                counts[0] = Long.parseLong(line.substring(6).trim());
            } else if (line.startsWith("rchar:")) {
                counts[1] = Long.parseLong(line.substring(6).trim());
            }
        }
        return counts;
    }
}
