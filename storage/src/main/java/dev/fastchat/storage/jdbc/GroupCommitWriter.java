package dev.fastchat.storage.jdbc;

import dev.fastchat.storage.StorageException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serialises every write to one database through a single thread that commits them in batches.
 *
 * <p>Writers queue a {@link WriteTask}; the writer thread takes whatever is queued (up to the batch limit),
 * runs it in one transaction and commits. <b>A write's future completes only after the commit that
 * contains it has returned</b>, so "completed" means durable (SQLite with {@code synchronous=FULL}:
 * fsynced; PostgreSQL: its commit guarantee). Under load, batches grow and one fsync serves many writes.
 *
 * @implNote If one task throws a non-SQL exception (a domain refusal such as a taken name), the
 *     transaction is rolled back, that task fails with its exception, and the rest of the batch runs again
 *     without it. If the database itself fails (an {@link SQLException}: unreachable, disk full, read-only),
 *     every write of the batch fails with {@link StorageException} and nothing of it is committed. When the
 *     queue is full, {@link #submit} fails at once instead of blocking. Writes from one thread commit in
 *     submission order.
 */
public final class GroupCommitWriter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);

    private record Request<T>(String what, WriteTask<T> task, CompletableFuture<T> future) {
        void complete(Object result) {
            @SuppressWarnings("unchecked")
            T typed = (T) result;
            future.complete(typed);
        }
    }

    private final DataSource dataSource;
    private final Consumer<Connection> evict;
    private final int batchLimit;
    private final BlockingQueue<Request<?>> queue;
    private final Thread thread;
    private final LongAdder batches = new LongAdder();
    private final LongAdder commits = new LongAdder();
    private volatile boolean closing;
    private volatile java.util.function.IntConsumer batchObserver = writes -> { };
    /** The writer thread's connection, kept across batches with its prepared statements; null until needed. */
    private Connection connection;
    private StatementCache statements;

    /**
     * @param dataSource where connections come from
     * @param evict called with a connection on which the database failed, so the pool replaces it
     * @param batchLimit most writes per transaction
     * @param queueLimit most writes waiting
     * @param name the writer thread's name
     */
    public GroupCommitWriter(DataSource dataSource, Consumer<Connection> evict, int batchLimit, int queueLimit, String name) {
        if (batchLimit < 1 || queueLimit < batchLimit) {
            throw new IllegalArgumentException("need 1 <= batchLimit <= queueLimit");
        }
        this.dataSource = dataSource;
        this.evict = evict;
        this.batchLimit = batchLimit;
        this.queue = new ArrayBlockingQueue<>(queueLimit);
        this.thread = Thread.ofPlatform().name(name).daemon(true).start(this::run);
    }

    /**
     * Queues a write.
     *
     * @param what what the write does, for error messages ("create account")
     * @return completes with the task's result after commit, or exceptionally with the task's own
     *     exception or a {@link StorageException}
     */
    public <T> CompletableFuture<T> submit(String what, WriteTask<T> task) {
        CompletableFuture<T> future = new CompletableFuture<>();
        if (closing) {
            future.completeExceptionally(new StorageException(what, new IllegalStateException("the database is closing")));
        } else if (!queue.offer(new Request<>(what, task, future))) {
            future.completeExceptionally(new StorageException(what, new IllegalStateException("too many writes queued")));
        }
        return future;
    }

    /** Called on the writer thread with the size of every committed batch (for metrics); must be quick. */
    public void observeBatches(java.util.function.IntConsumer observer) {
        this.batchObserver = observer;
    }

    /** Batches committed (or failed) so far. */
    public long batchCount() {
        return batches.sum();
    }

    /** Writes committed so far. */
    public long committedCount() {
        return commits.sum();
    }

    private void run() {
        List<Request<?>> batch = new ArrayList<>(batchLimit);
        while (!(closing && queue.isEmpty())) {
            try {
                Request<?> first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, batchLimit - 1);
                execute(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException | Error e) {
                // A bug in this class: fail the batch rather than leave callers waiting forever.
                log.error("group-commit writer failed a batch of {}", batch.size(), e);
                batch.forEach(r -> r.future().completeExceptionally(new StorageException(r.what(), e)));
            } finally {
                batch.clear();
            }
        }
        queue.forEach(r -> r.future().completeExceptionally(
                new StorageException(r.what(), new IllegalStateException("the database closed"))));
        if (connection != null) {
            statements.close();
            try {
                connection.close();
            } catch (SQLException e) {
                log.debug("closing the writer connection: {}", e.getMessage());
            }
        }
    }

    private void execute(List<Request<?>> batch) {
        batches.increment();
        List<Request<?>> pending = new ArrayList<>(batch);
        while (!pending.isEmpty()) {
            try {
                Connection tasks = connection();
                Object[] results = new Object[pending.size()];
                int failed = -1;
                RuntimeException refusal = null;
                for (int i = 0; i < pending.size() && failed < 0; i++) {
                    try {
                        results[i] = pending.get(i).task().run(tasks);
                    } catch (RuntimeException e) {
                        failed = i;
                        refusal = e;
                    }
                }
                if (failed < 0) {
                    connection.commit();
                    commits.add(pending.size());
                    batchObserver.accept(pending.size());
                    for (int i = 0; i < pending.size(); i++) {
                        pending.get(i).complete(results[i]);
                    }
                    return;
                }
                connection.rollback();
                pending.remove(failed).future().completeExceptionally(refusal);
            } catch (SQLException e) {
                log.warn("database write batch of {} failed: {}", pending.size(), e.getMessage());
                discard();
                pending.forEach(r -> r.future().completeExceptionally(new StorageException(r.what(), e)));
                return;
            }
        }
    }

    /** The connection for write tasks, opened (without auto-commit) on first use or after a failure. */
    private Connection connection() throws SQLException {
        if (connection == null) {
            Connection opened = dataSource.getConnection();
            try {
                opened.setAutoCommit(false);
            } catch (SQLException e) {
                evict.accept(opened);
                throw e;
            }
            connection = opened;
            statements = new StatementCache(opened);
        }
        return statements.connection();
    }

    /**
     * Rolls back and evicts a connection the database failed on: after a failed commit (disk full, I/O
     * error) its transaction state is unknown, and reusing it would fail later batches.
     */
    private void discard() {
        if (connection == null) {
            return;
        }
        statements.close();
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // already broken
        }
        evict.accept(connection);
        connection = null;
        statements = null;
    }

    /** Stops taking writes, commits what is queued, and stops the thread (waiting up to 10 s). */
    @Override
    public void close() {
        closing = true;
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
