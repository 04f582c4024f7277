package dev.fastchat.storage.jdbc;

import dev.fastchat.protocol.ConversationId;
import dev.fastchat.storage.Credential;
import dev.fastchat.storage.IdentityKeys;
import dev.fastchat.storage.KdfCost;
import dev.fastchat.storage.NewAccount;
import dev.fastchat.storage.NewMessage;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
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
 * Durable message appends per second through the real repository ({@code append}: every check a send makes, a
 * seq, the row, and the result a push is built from), beside the ceiling of the same database: the same rows in
 * one multi-row {@code INSERT} per transaction through the same writer ({@code ceiling}), with no checks at all.
 *
 * <p>Each invocation submits {@code batch} messages at once (each to its own direct conversation of 256, as the
 * odd-even load pattern does) and waits for all of them, so the writer commits them in one transaction. Scores are
 * messages per second. PostgreSQL runs use {@code FASTCHAT_BENCH_POSTGRES_URL} (for example
 * {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class MessageAppendBenchmark {
    private static final int INVOCATION = 256;
    private static final int CONVERSATIONS = 256;
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    @Param({"1", "16", "256"})
    int batch;

    @Param({"sqlite", "postgresql"})
    String database;

    private BenchDatabase trial;
    private Database db;
    private final byte[] sealed = new byte[256];
    private final List<long[]> pairs = new ArrayList<>();
    private long next;
    /** Where the ceiling's rows go: seqs far above the repository's, in the same conversations. */
    private long ceilingSeq = 1_000_000_000L;

    @Setup(Level.Trial)
    public void open() throws Exception {
        trial = BenchDatabase.open(database, "appends_" + batch, settings -> settings);
        db = trial.db();
        ThreadLocalRandom.current().nextBytes(sealed);
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 2 * CONVERSATIONS; i++) {
            ids.add(db.accounts().create(account("u" + i)).get(30, TimeUnit.SECONDS).id());
        }
        for (int i = 0; i < CONVERSATIONS; i++) {
            long[] pair = {ids.get(2 * i), ids.get(2 * i + 1)};
            pairs.add(pair);
            append(i).get(30, TimeUnit.SECONDS); // creates the conversation
        }
    }

    private static NewAccount account(String name) {
        byte[] key = new byte[32];
        return new NewAccount(name, new Credential(new byte[16], new byte[32]), new KdfCost(19456, 2, 1),
                new IdentityKeys(1, key, key), new byte[93], NOW);
    }

    private CompletableFuture<?> append(int conversation) {
        long[] pair = pairs.get(conversation % pairs.size());
        return db.messages().append(new NewMessage(ConversationId.direct(pair[0], pair[1]), pair[0], "m" + next++, sealed,
                Set.of(pair[0], pair[1]), NOW));
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        trial.close();
    }

    /** {@value #INVOCATION} sends through the repository, {@code batch} at a time. */
    @Benchmark
    @OperationsPerInvocation(INVOCATION)
    public void append() throws Exception {
        int conversation = 0;
        for (int done = 0; done < INVOCATION; done += batch) {
            CompletableFuture<?>[] writes = new CompletableFuture<?>[batch];
            for (int i = 0; i < batch; i++) {
                writes[i] = append(conversation++);
            }
            CompletableFuture.allOf(writes).get(60, TimeUnit.SECONDS);
        }
    }

    /** {@value #INVOCATION} rows in multi-row inserts of {@code batch}, one transaction each: what the database can take. */
    @Benchmark
    @OperationsPerInvocation(INVOCATION)
    public void ceiling() throws Exception {
        for (int done = 0; done < INVOCATION; done += batch) {
            long first = ceilingSeq;
            ceilingSeq += batch;
            db.writer().submit("insert rows", c -> {
                StringBuilder sql = new StringBuilder(
                        "INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, sealed, created_at) VALUES ");
                for (int i = 0; i < batch; i++) {
                    sql.append(i == 0 ? "(?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?)");
                }
                try (PreparedStatement insert = c.prepareStatement(sql.toString())) {
                    int p = 1;
                    for (int i = 0; i < batch; i++) {
                        long[] pair = pairs.get(i % pairs.size());
                        insert.setString(p++, ConversationId.direct(pair[0], pair[1]).value());
                        insert.setLong(p++, first + i);
                        insert.setLong(p++, pair[0]);
                        insert.setString(p++, "c" + (first + i));
                        insert.setBytes(p++, sealed);
                        insert.setLong(p++, NOW.toEpochMilli());
                    }
                    return insert.executeUpdate();
                }
            }).get(60, TimeUnit.SECONDS);
        }
    }
}
