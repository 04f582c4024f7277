package dev.fastchat.storage.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/** The writer's linger: when a transaction waits for more writes, and when it does not. */
class GroupCommitWriterTest {
    @TempDir
    Path dir;

    private GroupCommitWriter writer;

    @AfterEach
    void close() {
        if (writer != null) {
            writer.close();
        }
    }

    private GroupCommitWriter writer(Duration linger) {
        SQLiteDataSource dataSource = new SQLiteDataSource();
        dataSource.setUrl("jdbc:sqlite:" + dir.resolve("writer.db"));
        writer = new GroupCommitWriter(dataSource, connection -> { }, 256, 1024, linger, "test-db-writer");
        return writer;
    }

    private static WriteTask<Integer> select() {
        return connection -> {
            try (var statement = connection.createStatement(); var rows = statement.executeQuery("SELECT 1")) {
                rows.next();
                return rows.getInt(1);
            }
        };
    }

    /** Runs one transaction of two writes, so that the writer's last transaction had several. */
    private static void transactionOfTwo(GroupCommitWriter writer) throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Integer> blocking = writer.submit("block", connection -> {
            running.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 0;
        });
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Integer> first = writer.submit("first", select());
        CompletableFuture<Integer> second = writer.submit("second", select());
        long before = writer.batchCount();
        release.countDown();
        CompletableFuture.allOf(blocking, first, second).get(10, TimeUnit.SECONDS);
        assertThat(writer.batchCount() - before).as("the two queued writes ran in one transaction").isEqualTo(1);
    }

    @Test
    void aWriteAfterAQuietSpellDoesNotWait() throws Exception {
        GroupCommitWriter writer = writer(Duration.ofSeconds(30));
        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            assertThat(writer.submit("alone", select()).get(10, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        }
        assertThat(writer.batchCount()).isEqualTo(3);
    }

    @Test
    void afterATransactionOfSeveralWritesTheNextWaitsForMore() throws Exception {
        GroupCommitWriter writer = writer(Duration.ofSeconds(2));
        transactionOfTwo(writer);
        long batches = writer.batchCount();
        CompletableFuture<Integer> early = writer.submit("early", select());
        await().atMost(Duration.ofSeconds(1)).until(writer::lingering);
        assertThat(early).as("held for more writes").isNotDone();
        CompletableFuture<Integer> late = writer.submit("late", select());
        CompletableFuture.allOf(early, late).get(10, TimeUnit.SECONDS);
        assertThat(writer.batchCount() - batches).as("both in one transaction").isEqualTo(1);
    }

    @Test
    void theLingerEndsOnceEnoughWritesAreQueued() throws Exception {
        GroupCommitWriter writer = writer(Duration.ofSeconds(60));
        transactionOfTwo(writer);
        long batches = writer.batchCount();
        List<CompletableFuture<Integer>> writes = new ArrayList<>();
        for (int i = 0; i < GroupCommitWriter.LINGER_ENOUGH; i++) {
            writes.add(writer.submit("write " + i, select()));
        }
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        assertThat(writer.batchCount() - batches).isEqualTo(1);
    }

    @Test
    void closingEndsALingerAndCommitsWhatIsQueued() throws Exception {
        GroupCommitWriter writer = writer(Duration.ofSeconds(60));
        transactionOfTwo(writer);
        CompletableFuture<Integer> lingering = writer.submit("lingering", select());
        await().atMost(Duration.ofSeconds(10)).until(writer::lingering);
        long start = System.nanoTime();
        writer.close();
        assertThat(lingering.get(1, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void noLingerRunsEachWriteAtOnce() throws Exception {
        GroupCommitWriter writer = writer(Duration.ZERO);
        transactionOfTwo(writer);
        long batches = writer.batchCount();
        writer.submit("one", select()).get(10, TimeUnit.SECONDS);
        writer.submit("two", select()).get(10, TimeUnit.SECONDS);
        assertThat(writer.batchCount() - batches).isEqualTo(2);
    }
}
