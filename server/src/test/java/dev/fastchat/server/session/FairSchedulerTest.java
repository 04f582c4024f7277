package dev.fastchat.server.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FairSchedulerTest {

    /** A task that records where it ran and finishes when {@code done} does. */
    private record Recorded(boolean inline, CompletableFuture<?> done, List<String> log, String name) implements FairScheduler.Task {
        @Override
        public CompletableFuture<?> get() {
            synchronized (log) {
                log.add(name + "@" + Thread.currentThread().getName());
            }
            return done;
        }

        @Override
        public void rejected() {
            synchronized (log) {
                log.add(name + " rejected");
            }
        }
    }

    @Test
    void anInlineTaskStartsOnTheThreadThatGivesItItsTurnAndAnotherOnTheExecutor() throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("executor").factory());
        try {
            FairScheduler scheduler = new FairScheduler(executor, 8);
            ConnectionState state = new ConnectionState(16);
            List<String> log = new ArrayList<>();
            CompletableFuture<Void> blocking = new CompletableFuture<>();
            String caller = Thread.currentThread().getName();

            scheduler.submit(state, new Recorded(false, blocking, log, "history"));
            scheduler.submit(state, new Recorded(true, new CompletableFuture<>(), log, "send"));
            executor.submit(() -> { }).get(5, TimeUnit.SECONDS);

            synchronized (log) {
                assertThat(log).containsExactlyInAnyOrder("history@executor", "send@" + caller);
            }
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void aConnectionsInlineTasksStartOneAfterTheOtherWhicheverThreadsGiveThemTheirTurns() throws Exception {
        FairScheduler scheduler = new FairScheduler(Runnable::run, 64);
        ConnectionState state = new ConnectionState(64);
        List<String> log = new ArrayList<>();
        java.util.concurrent.CountDownLatch inFirst = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<Void> letFirstReturn = new CompletableFuture<>();
        FairScheduler.Task first = new FairScheduler.Task() { // an announcement, say, still checking its keys
            @Override
            public boolean inline() {
                return true;
            }

            @Override
            public CompletableFuture<?> get() {
                inFirst.countDown();
                letFirstReturn.join();
                synchronized (log) {
                    log.add("first returned");
                }
                return new CompletableFuture<>();
            }

            @Override
            public void rejected() {}
        };
        Thread network = Thread.ofPlatform().name("network").start(() -> scheduler.submit(state, first));
        assertThat(inFirst.await(5, TimeUnit.SECONDS)).isTrue();

        // Another thread gives the connection's next request (the message sent right behind it) its turn meanwhile.
        scheduler.submit(state, new Recorded(true, new CompletableFuture<>(), log, "second"));
        synchronized (log) {
            assertThat(log).as("not started while the first is").isEmpty();
        }
        letFirstReturn.complete(null);
        network.join(5_000);

        synchronized (log) {
            assertThat(log).containsExactly("first returned", "second@network");
        }
    }

    @Test
    void anInlineTaskKeepsItsTurnBehindItsConnectionsShareAndStartsWhenARequestEnds() {
        FairScheduler scheduler = new FairScheduler(Runnable::run, 64);
        ConnectionState state = new ConnectionState(64);
        List<String> log = new ArrayList<>();
        List<CompletableFuture<Void>> running = new ArrayList<>();
        for (int i = 0; i < FairScheduler.PER_CONNECTION; i++) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            running.add(done);
            scheduler.submit(state, new Recorded(true, done, log, "send" + i));
        }
        scheduler.submit(state, new Recorded(true, new CompletableFuture<>(), log, "send" + FairScheduler.PER_CONNECTION));
        assertThat(log).hasSize(FairScheduler.PER_CONNECTION); // the fifth waits for one of the four

        Thread finisher = Thread.ofPlatform().name("finisher").unstarted(() -> running.getFirst().complete(null));
        finisher.run(); // completes on this thread: the fifth starts where the first one ended
        assertThat(log).hasSize(FairScheduler.PER_CONNECTION + 1).last().asString().startsWith("send" + FairScheduler.PER_CONNECTION + "@");
    }

    @Test
    void manyInlineTasksRefusedAtOnceStartOneAfterAnotherWithoutDeepeningTheStack() {
        FairScheduler scheduler = new FairScheduler(Runnable::run, 1);
        ConnectionState first = new ConnectionState(16);
        CompletableFuture<Void> holdsTheSlot = new CompletableFuture<>();
        List<String> log = new ArrayList<>();
        scheduler.submit(first, new Recorded(true, holdsTheSlot, log, "first"));
        AtomicInteger deepest = new AtomicInteger();
        int count = 5_000;
        for (int i = 0; i < count; i++) {
            scheduler.submit(new ConnectionState(16), new FairScheduler.Task() {
                @Override
                public CompletableFuture<?> get() {
                    deepest.accumulateAndGet(Thread.currentThread().getStackTrace().length, Math::max);
                    return CompletableFuture.failedFuture(new IllegalStateException("refused at once"));
                }

                @Override
                public void rejected() {
                }

                @Override
                public boolean inline() {
                    return true;
                }
            });
        }
        int before = Thread.currentThread().getStackTrace().length;

        holdsTheSlot.complete(null); // the one slot frees: all 5,000 waiting ones run, each refused at once

        assertThat(deepest.get()).isGreaterThan(0).isLessThan(before + 40);
    }
}
