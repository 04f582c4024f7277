package dev.fastchat.server.session;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Runs the requests of all connections, at most {@code slots} at once, taking them from the connections in
 * turn: one connection that queues dozens of expensive requests (a history page, again and again) waits for
 * its next turn behind every other connection's one, instead of standing in front of everyone's log-in.
 * Within a connection, requests start in the order they came. A connection that does not read its replies
 * (paused by the transport) gets no turns until it reads again.
 */
public final class FairScheduler {
    /** A request to run: starts its work and returns when that work is done; or is told it cannot run. */
    public interface Task extends Supplier<CompletableFuture<?>> {
        /** It will not run: the executor refused it (the server is shutting down) or its connection closed. */
        void rejected();
    }

    private final Executor executor;
    private final int slots;
    private final ReentrantLock lock = new ReentrantLock();
    /** Connections with requests waiting, in turn order (guarded by lock). */
    private final ArrayDeque<ConnectionState> turns = new ArrayDeque<>();
    /** Connections with requests waiting that do not read their replies now: no turns until they do. */
    private final java.util.Set<ConnectionState> parked = new java.util.HashSet<>();
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
            if (state.waiting.size() == 1) {
                if (state.paused()) {
                    parked.add(state);
                } else {
                    turns.addLast(state);
                }
            }
        } finally {
            lock.unlock();
        }
        startWhatCan();
    }

    private void startWhatCan() {
        while (true) {
            Task next;
            lock.lock();
            try {
                ConnectionState state = null;
                while (running < slots && !turns.isEmpty()) {
                    ConnectionState candidate = turns.pollFirst();
                    if (!candidate.paused()) {
                        state = candidate;
                        break;
                    }
                    parked.add(candidate); // its replies would only wait: serve it when it reads again
                }
                if (state == null) {
                    return;
                }
                next = (Task) state.waiting.pollFirst();
                if (!state.waiting.isEmpty()) {
                    turns.addLast(state); // its next request waits for everyone else's turn
                }
                running++;
            } finally {
                lock.unlock();
            }
            start(next);
        }
    }

    /** The connection of {@code state} reads its replies again: its waiting requests get their turns back. */
    public void resume(ConnectionState state) {
        lock.lock();
        try {
            if (parked.remove(state)) {
                turns.addLast(state);
            }
        } finally {
            lock.unlock();
        }
        startWhatCan();
    }

    /** The connection of {@code state} closed: its waiting requests are dropped (told {@link Task#rejected()}). */
    public void forget(ConnectionState state) {
        java.util.List<Object> dropped;
        lock.lock();
        try {
            parked.remove(state);
            turns.remove(state);
            dropped = new java.util.ArrayList<>(state.waiting);
            state.waiting.clear();
        } finally {
            lock.unlock();
        }
        dropped.forEach(task -> ((Task) task).rejected());
    }

    private void start(Task task) {
        try {
            executor.execute(() -> {
                CompletableFuture<?> done;
                try {
                    done = task.get();
                } catch (RuntimeException e) {
                    done = CompletableFuture.completedFuture(null); // the task reports its own failures
                }
                done.whenComplete((result, failure) -> finished());
            });
        } catch (RejectedExecutionException e) {
            finished();
            task.rejected();
        }
    }

    private void finished() {
        lock.lock();
        try {
            running--;
        } finally {
            lock.unlock();
        }
        startWhatCan();
    }
}
