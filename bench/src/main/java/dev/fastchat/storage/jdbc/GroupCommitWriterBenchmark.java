package dev.fastchat.storage.jdbc;

import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable appends per second through the group-commit writer, at a given batch size: each invocation
 * submits {@code batch} one-row inserts at once and waits for all of them, so the writer commits them in
 * one transaction (one fsync on SQLite). Scores are appends per second.
 *
 * <p>PostgreSQL runs use {@code FASTCHAT_BENCH_POSTGRES_URL} (for example
 * {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres}); without it they are skipped.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class GroupCommitWriterBenchmark {
    private static final int INVOCATION = 256;

    @Param({"1", "16", "256"})
    int batch;

    @Param({"sqlite", "postgresql"})
    String database;

    private BenchDatabase trial;
    private Database db;
    private final byte[] payload = new byte[256];
    private long next;

    @Setup(Level.Trial)
    public void open() throws Exception {
        trial = BenchDatabase.open(database, "writer_" + batch, settings -> settings.withWriterBatchLimit(batch));
        db = trial.db();
        db.writer().submit("create bench table", c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS bench_appends (id BIGINT PRIMARY KEY, payload "
                        + (database.equals("sqlite") ? "BLOB" : "BYTEA") + " NOT NULL)");
            }
            return null;
        }).get();
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        trial.close();
    }

    /** {@value #INVOCATION} durable appends, submitted {@code batch} at a time. */
    @Benchmark
    @OperationsPerInvocation(INVOCATION)
    public void append() throws Exception {
        for (int done = 0; done < INVOCATION; done += batch) {
            CompletableFuture<?>[] writes = new CompletableFuture<?>[batch];
            for (int i = 0; i < batch; i++) {
                long id = next++;
                writes[i] = db.writer().submit("append", c -> insert(c, id));
            }
            CompletableFuture.allOf(writes).get(60, TimeUnit.SECONDS);
        }
    }

    private Integer insert(Connection connection, long id) throws java.sql.SQLException {
        return Jdbc.update(connection, "INSERT INTO bench_appends (id, payload) VALUES (?, ?)", s -> {
            s.setLong(1, id);
            s.setBytes(2, payload);
        });
    }
}
