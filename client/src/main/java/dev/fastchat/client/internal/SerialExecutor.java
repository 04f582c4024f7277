package dev.fastchat.client.internal;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs tasks one at a time, in submission order, on threads of another executor. */
public final class SerialExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

    private final Executor backing;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean();

    public SerialExecutor(Executor backing) {
        this.backing = backing;
    }

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
        schedule();
    }

    /**
     * Runs {@code task} on the calling thread, now, if nothing is queued or running here: as if it had been queued and
     * were the next to run (it runs alone; what is queued meanwhile runs after it). Otherwise it does nothing, and the
     * caller queues its work with {@link #execute} instead. Saves a thread's wake-up for work too small to need one.
     *
     * @return whether {@code task} ran and said it did its work (false: queue it)
     */
    public boolean runNowIfIdle(BooleanSupplier task) {
        if (!tasks.isEmpty() || !running.compareAndSet(false, true)) {
            return false;
        }
        try {
            return tasks.isEmpty() && task.getAsBoolean(); // (queued by another thread between the two checks: it goes first)
        } catch (RuntimeException e) {
            log.warn("a listener failed", e);
            return true;
        } finally {
            running.set(false);
            schedule();
        }
    }

    /** Whether nothing is queued or running here now. */
    boolean idle() {
        return tasks.isEmpty() && !running.get();
    }

    private void schedule() {
        if (!tasks.isEmpty() && running.compareAndSet(false, true)) {
            backing.execute(this::drain);
        }
    }

    private void drain() {
        try {
            Runnable task;
            while ((task = tasks.poll()) != null) {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.warn("a listener failed", e);
                }
            }
        } finally {
            running.set(false);
            schedule();
        }
    }
}
