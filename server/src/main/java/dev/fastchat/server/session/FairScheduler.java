package dev.fastchat.server.session;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Runs the requests of all connections, at most {@code slots} at once and a few per connection, taking them
 * from the connections in turn: one connection that queues dozens of expensive requests (a history page,
 * again and again) waits for its next turn behind every other connection's one, instead of standing in front
 * of everyone's log-in; and a connection with a single request and nothing running goes before all those with a
 * backlog, so hundreds of busy connections do not stand in front of one user's log-in either. Within a connection, requests start in the order they came,
 * and its inline ones ({@link Task#inline}) one after the other: so a sender chain's announcement is queued to the writer
 * before the message sent right behind it, whichever threads give them their turns. A connection that does
 * not read its replies (paused by the transport) gets no turns until it reads again, so that the server
 * does no work whose answer could only wait.
 */
public final class FairScheduler {
    /** A request to run: starts its work and returns when that work is done; or is told it cannot run. */
    public interface Task extends Supplier<CompletableFuture<?>> {
        /** It will not run: the executor refused it (the server is shutting down) or its connection closed. */
        void rejected();

        /**
         * Whether {@link #get} only checks and hands its work on (to the writer's queue), never blocking: then it starts
         * on the thread that gives it its turn (a transport thread, or the one that finished a request), without a
         * hand-off to the executor. Its turn, order and share of the slots are the same either way.
         */
        default boolean inline() {
            return false;
        }
    }

    /** Requests of one connection running at once. */
    static final int PER_CONNECTION = 4;

    private final Executor executor;
    private final int slots;
    private final ReentrantLock lock = new ReentrantLock();
    /** Connections that may start a request, in turn order (guarded by lock; each at most once). */
    private final ArrayDeque<ConnectionState> turns = new ArrayDeque<>();
    private int running;

    public FairScheduler(Executor executor, int slots) {
        this.executor = executor;
        this.slots = slots;
    }

    /** Queues {@code task} for the connection of {@code state}; runs it now if a slot is free and it is its turn. */
    public void submit(ConnectionState state, Task task) {
        lock.lock();
        try {
            state.waiting.addLast(task);
            queueIfEligible(state);
        } finally {
            lock.unlock();
        }
        startWhatCan();
    }

    /** The connection of {@code state} reads its replies again: its waiting requests get their turns back. */
    public void resume(ConnectionState state) {
        lock.lock();
        try {
            queueIfEligible(state);
        } finally {
            lock.unlock();
        }
        startWhatCan();
    }

    /** The connection of {@code state} closed: its waiting requests are dropped (told {@link Task#rejected()}). */
    public void forget(ConnectionState state) {
        List<Object> dropped;
        lock.lock();
        try {
            if (state.inTurns) {
                turns.remove(state);
                state.inTurns = false;
            }
            dropped = new ArrayList<>(state.waiting);
            state.waiting.clear();
        } finally {
            lock.unlock();
        }
        dropped.forEach(task -> ((Task) task).rejected());
    }

    /**
     * Puts {@code state} in the turns if it has a request that may start (lock held): at the front if that is its only
     * request and none of it runs (a user's log-in, a send: a "new flow", as fq_codel, RFC 8290, serves new flows
     * before the backlogged ones), else at the back. A connection with a backlog of requests never goes first.
     */
    private void queueIfEligible(ConnectionState state) {
        if (!state.inTurns && !state.startingInline && !state.waiting.isEmpty() && state.running < PER_CONNECTION && !state.paused()) {
            state.inTurns = true;
            if (state.running == 0 && state.waiting.size() == 1) {
                turns.addFirst(state);
            } else {
                turns.addLast(state);
            }
        }
    }

    private void startWhatCan() {
        while (true) {
            Task next;
            ConnectionState owner;
            lock.lock();
            try {
                owner = null;
                while (running < slots && !turns.isEmpty()) {
                    ConnectionState candidate = turns.pollFirst();
                    candidate.inTurns = false;
                    if (!candidate.paused() && !candidate.startingInline && candidate.running < PER_CONNECTION
                            && !candidate.waiting.isEmpty()) {
                        owner = candidate;
                        break;
                    }
                    // Paused, or running its share: it comes back when it reads again or a request of it ends.
                }
                if (owner == null) {
                    return;
                }
                next = (Task) owner.waiting.pollFirst();
                owner.running++;
                running++;
                owner.startingInline = next.inline(); // (its next one is queued for its turn once this one has started)
                queueIfEligible(owner); // its next request waits for everyone else's turn
            } finally {
                lock.unlock();
            }
            start(owner, next);
        }
    }

    private void start(ConnectionState owner, Task task) {
        if (task.inline()) {
            CompletableFuture<?> done = run(task);
            startedInline(owner);
            if (done.isDone()) {
                release(owner); // refused at once: the loop in startWhatCan goes on, with no call deeper per request
            } else {
                done.whenComplete((result, failure) -> finished(owner));
            }
            return;
        }
        try {
            executor.execute(() -> run(task).whenComplete((result, failure) -> finished(owner)));
        } catch (RejectedExecutionException e) {
            finished(owner);
            task.rejected();
        }
    }

    /** An inline request of {@code owner} has started: its next one may have its turn. */
    private void startedInline(ConnectionState owner) {
        lock.lock();
        try {
            owner.startingInline = false;
            queueIfEligible(owner);
        } finally {
            lock.unlock();
        }
    }

    private static CompletableFuture<?> run(Task task) {
        try {
            return task.get();
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(null); // the task reports its own failures
        }
    }

    private void finished(ConnectionState owner) {
        release(owner);
        startWhatCan();
    }

    private void release(ConnectionState owner) {
        lock.lock();
        try {
            running--;
            owner.running--;
            queueIfEligible(owner);
        } finally {
            lock.unlock();
        }
    }
}
