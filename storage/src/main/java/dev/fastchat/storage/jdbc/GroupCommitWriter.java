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
 * <p><b>The linger.</b> A commit costs the same for one write as for many (the sync, the log's pages, a wake-up of
 * each thread). So when the last transaction held two writes or more (the writes come faster than one commit
 * takes), the next one waits up to the linger for more writes before it runs, and runs at once when
 * {@value #LINGER_ENOUGH} are queued. A write that comes alone after a quiet spell is never held: light load keeps
 * its latency, and a loaded writer commits less often (the same design as PostgreSQL's {@code commit_delay}).
 *
 * @implNote If one task throws a non-SQL exception (a domain refusal such as a taken name), the
 *     transaction is rolled back, that task fails with its exception, and the rest of the batch runs again
 *     without it. If the database itself fails (an {@link SQLException}: unreachable, disk full, read-only),
 *     every write of the batch fails with {@link StorageException} and nothing of it is committed. When the
 *     queue is full, {@link #submit} fails at once instead of blocking. Writes from one thread commit in
 *     submission order, and their futures complete in that order too, on a thread of the writer's own (not the
 *     writer thread, which goes on to the next batch meanwhile). A {@link BatchedWrite} takes many writes of one kind
 *     in one call, with a statement or two for all of them instead of several for each; it refuses writes one by one
 *     without a rollback.
 */
public final class GroupCommitWriter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);

    /** A queued write: a task of its own, or one item of a {@link BatchedWrite} (then {@code task} is null). */
    private record Request<T>(String what, WriteTask<T> task, BatchedWrite<?, T> kind, Object item, CompletableFuture<T> future) {
        void complete(Object result) {
            if (result instanceof BatchedWrite.Refusal(RuntimeException reason)) {
                future.completeExceptionally(reason);
                return;
            }
            @SuppressWarnings("unchecked")
            T typed = (T) result;
            future.complete(typed);
        }
    }

    /** Told when the writer's transaction ends, on the writer thread: for state that must follow the database's. */
    public interface TransactionListener {
        /** The transaction committed. */
        void committed();

        /** The transaction was rolled back (a write was refused): nothing of it was kept. */
        void rolledBack();

        /** The database failed (the transaction's connection is dropped): nothing of it was kept. */
        default void failed() {
            rolledBack();
        }
    }

    private final DataSource dataSource;
    private final Consumer<Connection> evict;
    private final int batchLimit;
    private final long lingerNanos;
    /** Writes queued at which a lingering transaction runs: {@link #LINGER_ENOUGH}, or the batch limit if lower. */
    private final int lingerEnough;
    /** Writes in the last transaction the writer ran. */
    private int lastBatchSize;
    /** Whether the writer waits for more writes now. */
    private volatile boolean lingering;
    private final BlockingQueue<Request<?>> queue;
    private final Thread thread;
    private final LongAdder batches = new LongAdder();
    private final LongAdder commits = new LongAdder();
    private volatile boolean closing;
    private volatile CommitObserver commitObserver = (writes, commitNanos) -> { };
    private final List<TransactionListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    /**
     * Completes the futures of committed writes, in commit order, so that what callers chain on them (building
     * acknowledgements and pushes) runs here and not on the writer thread, which meanwhile starts the next batch.
     */
    private final java.util.concurrent.ExecutorService completer;
    /** The writer thread's connection, kept across batches with its prepared statements; null until needed. */
    private Connection connection;
    private StatementCache statements;

    /**
     * @param dataSource where connections come from
     * @param evict called with a connection on which the database failed, so the pool replaces it
     * @param batchLimit most writes per transaction
     * @param queueLimit most writes waiting
     * @param linger how long a transaction may wait for more writes after one of two or more (zero: never)
     * @param name the writer thread's name
     */
    public GroupCommitWriter(DataSource dataSource, Consumer<Connection> evict, int batchLimit, int queueLimit, java.time.Duration linger,
                             String name) {
        if (batchLimit < 1 || queueLimit < batchLimit) {
            throw new IllegalArgumentException("need 1 <= batchLimit <= queueLimit");
        }
        if (linger.isNegative()) {
            throw new IllegalArgumentException("a negative linger: " + linger);
        }
        this.dataSource = dataSource;
        this.evict = evict;
        this.batchLimit = batchLimit;
        this.lingerNanos = linger.toNanos();
        this.lingerEnough = Math.min(LINGER_ENOUGH, batchLimit);
        this.queue = new ArrayBlockingQueue<>(queueLimit);
        this.completer = java.util.concurrent.Executors.newSingleThreadExecutor(
                Thread.ofPlatform().name(name.replace("writer", "completer")).daemon(true).factory()); // apart in /proc (15 characters)
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
        return enqueue(new Request<>(what, task, null, null, new CompletableFuture<>()));
    }

    /**
     * Queues one item of a kind of write that runs many items at once: the items of {@code kind} queued next to each
     * other run in one call of {@link BatchedWrite#runAll}.
     *
     * @return completes with the item's result after commit, or exceptionally with its refusal or a {@link StorageException}
     */
    public <I, T> CompletableFuture<T> submit(String what, BatchedWrite<I, T> kind, I item) {
        return enqueue(new Request<>(what, null, kind, item, new CompletableFuture<>()));
    }

    private <T> CompletableFuture<T> enqueue(Request<T> request) {
        if (closing) {
            request.future().completeExceptionally(new StorageException(request.what(),
                    new IllegalStateException("the database is closing")));
        } else if (!queue.offer(request)) {
            request.future().completeExceptionally(new StorageException(request.what(),
                    new IllegalStateException("too many writes queued")));
        } else if (lingering && enoughQueued()) {
            java.util.concurrent.locks.LockSupport.unpark(thread); // enough for the transaction that waits
        }
        return request.future();
    }

    /** Adds a listener told of every transaction's end. */
    public void listen(TransactionListener listener) {
        listeners.add(listener);
    }

    /** Told of every committed transaction, on the writer thread (for metrics); must be quick. */
    @FunctionalInterface
    public interface CommitObserver {
        /** A transaction of {@code writes} writes committed, and its commit took {@code commitNanos}. */
        void committed(int writes, long commitNanos);
    }

    /** Sets who is told of every committed transaction. */
    public void observeCommits(CommitObserver observer) {
        this.commitObserver = observer;
    }

    /** Batches committed (or failed) so far. */
    public long batchCount() {
        return batches.sum();
    }

    /** Whether the writer holds a transaction now, waiting for more writes (the linger). */
    boolean lingering() {
        return lingering;
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
                if (lingerNanos > 0 && lastBatchSize >= 2) {
                    linger();
                }
                queue.drainTo(batch, batchLimit - 1);
                lastBatchSize = batch.size();
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

    /** Writes queued at which a transaction stops waiting for more. */
    static final int LINGER_ENOUGH = 16;

    /**
     * Waits up to the linger until {@link #LINGER_ENOUGH} writes are queued (the one taken already counts). Writes
     * that come meanwhile do not wake the writer, but the one that makes enough does.
     */
    private void linger() {
        long until = System.nanoTime() + lingerNanos;
        lingering = true;
        try {
            while (!enoughQueued() && !closing) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(left);
            }
        } finally {
            lingering = false;
        }
    }

    /** Whether the writes queued, with the one the writer holds, are enough to end a linger. */
    private boolean enoughQueued() {
        return queue.size() >= lingerEnough - 1;
    }

    private void execute(List<Request<?>> batch) {
        batches.increment();
        List<Request<?>> pending = new ArrayList<>(batch);
        while (!pending.isEmpty()) {
            try {
                Connection tasks = connection();
                Object[] results = new Object[pending.size()];
                int failedFrom = -1;
                int failedTo = -1;
                RuntimeException refusal = null;
                for (int i = 0; i < pending.size() && failedFrom < 0; ) {
                    int end = runOne(tasks, pending, i, results);
                    if (end < 0) {
                        failedFrom = i;
                        failedTo = -end;
                        refusal = (RuntimeException) results[i];
                    }
                    i = Math.abs(end);
                }
                if (failedFrom < 0) {
                    long committing = System.nanoTime();
                    connection.commit();
                    long commitNanos = System.nanoTime() - committing;
                    listeners.forEach(TransactionListener::committed);
                    commits.add(pending.size());
                    commitObserver.committed(pending.size(), commitNanos);
                    List<Request<?>> done = List.copyOf(pending);
                    completer.execute(() -> {
                        for (int i = 0; i < done.size(); i++) {
                            done.get(i).complete(results[i]);
                        }
                    });
                    return;
                }
                connection.rollback();
                listeners.forEach(TransactionListener::rolledBack);
                List<Request<?>> refused = new ArrayList<>(pending.subList(failedFrom, failedTo));
                pending.subList(failedFrom, failedTo).clear();
                RuntimeException reason = refusal;
                completer.execute(() -> refused.forEach(r -> r.future().completeExceptionally(reason)));
            } catch (SQLException e) {
                log.warn("database write batch of {} failed: {}", pending.size(), e.getMessage());
                discard();
                listeners.forEach(TransactionListener::failed);
                List<Request<?>> failed = List.copyOf(pending);
                completer.execute(() -> failed.forEach(r -> r.future().completeExceptionally(new StorageException(r.what(), e))));
                return;
            }
        }
    }

    /**
     * Runs the task at {@code from}, or the items of one batched kind queued from there on, putting results in
     * {@code results}.
     *
     * @return the index after what ran; negated if it threw (then {@code results[from]} holds the exception, and every
     *     write up to the returned index fails with it)
     */
    private static int runOne(Connection connection, List<Request<?>> pending, int from, Object[] results) throws SQLException {
        Request<?> first = pending.get(from);
        int end = from + 1;
        try {
            if (first.kind() == null) {
                results[from] = first.task().run(connection);
                return end;
            }
            while (end < pending.size() && pending.get(end).kind() == first.kind()) {
                end++;
            }
            List<Object> items = new ArrayList<>(end - from);
            for (int i = from; i < end; i++) {
                items.add(pending.get(i).item());
            }
            @SuppressWarnings("unchecked")
            BatchedWrite<Object, ?> kind = (BatchedWrite<Object, ?>) first.kind();
            List<?> out = kind.runAll(connection, items);
            if (out.size() != items.size()) {
                throw new IllegalStateException(first.what() + " gave " + out.size() + " results for " + items.size() + " writes");
            }
            for (int i = from; i < end; i++) {
                results[i] = out.get(i - from);
            }
            return end;
        } catch (RuntimeException e) {
            results[from] = e;
            return -end;
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
        java.util.concurrent.locks.LockSupport.unpark(thread); // out of a linger
        try {
            thread.join(10_000);
            completer.shutdown();
            completer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
