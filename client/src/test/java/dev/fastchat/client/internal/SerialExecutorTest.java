package dev.fastchat.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Tasks run one at a time and in order, whether queued or run at once on the caller's thread. */
class SerialExecutorTest {
    @Test
    void aTaskRunsAtOnceOnTheCallersThreadWhenNothingIsQueuedOrRunning() {
        SerialExecutor serial = new SerialExecutor(Executors.newVirtualThreadPerTaskExecutor());
        Thread[] ranOn = new Thread[1];

        boolean ran = serial.runNowIfIdle(() -> {
            ranOn[0] = Thread.currentThread();
            return true;
        });

        assertThat(ran).isTrue();
        assertThat(ranOn[0]).isSameAs(Thread.currentThread());
        assertThat(serial.idle()).isTrue();
        assertThat(serial.runNowIfIdle(() -> false)).as("a task that declines its work: the caller queues it").isFalse();
    }

    @Test
    void aTaskIsNotRunAtOnceWhileAnotherRunsOrWaitsAndWhatWasQueuedMeanwhileRunsAfterIt() throws Exception {
        SerialExecutor serial = new SerialExecutor(Executors.newVirtualThreadPerTaskExecutor());
        List<String> order = new CopyOnWriteArrayList<>();
        CountDownLatch release = new CountDownLatch(1);
        serial.execute(() -> {
            await(release);
            order.add("first");
        });
        serial.execute(() -> order.add("second"));

        assertThat(serial.runNowIfIdle(() -> order.add("now"))).isFalse();
        release.countDown();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(serial::idle);
        assertThat(order).containsExactly("first", "second");

        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch queued = new CountDownLatch(1);
        Thread caller = Thread.ofPlatform().start(() -> serial.runNowIfIdle(() -> {
            inside.countDown();
            await(queued);
            order.add("now");
            return true;
        }));
        inside.await();
        serial.execute(() -> order.add("queued while it ran"));
        queued.countDown();
        caller.join();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(serial::idle);
        assertThat(order).containsExactly("first", "second", "now", "queued while it ran");
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
