package dev.fastchat.server.admin;

import dev.fastchat.protocol.v1.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What a node counts, for {@code /metrics} (Prometheus text): sessions and connections, messages in and
 * out, send-to-ack and delivery latency histograms, write batch sizes and commit times, errors by code, and whether
 * NATS and the database are up. Thread-safe; recording is cheap (lock-free counters and histograms).
 */
public final class ServerMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter messagesIn;
    private final Counter pushesOut;
    private final Timer sendToAck;
    private final Timer delivery;
    private final DistributionSummary batchSize;
    private final Timer commit;
    private final Map<ErrorCode, Counter> errors = new ConcurrentHashMap<>();

    public ServerMetrics() {
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
        messagesIn = Counter.builder("fastchat.messages.in").description("messages stored and acknowledged").register(registry);
        pushesOut = Counter.builder("fastchat.messages.out").description("messages pushed to sessions of this node").register(registry);
        sendToAck = Timer.builder("fastchat.send.to.ack").description("from a Send received to its SendAck written")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        delivery = Timer.builder("fastchat.delivery").description("from commit to the push handed to a session (any node)")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        batchSize = DistributionSummary.builder("fastchat.db.write.batch.size").description("writes committed per transaction")
                .publishPercentileHistogram().minimumExpectedValue(1.0).maximumExpectedValue(1024.0).register(registry);
        commit = Timer.builder("fastchat.db.commit").description("how long the writer's commits took (the sync, and a checkpoint when one ran in it)")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
    }

    /** Reports a value read when scraped. */
    public void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(name, () -> value.get().doubleValue()).description(description).register(registry);
    }

    public void messageIn(Duration sendToAckTime) {
        messagesIn.increment();
        sendToAck.record(sendToAckTime);
    }

    public void pushedMessage(long committedAtMillis) {
        pushesOut.increment();
        delivery.record(Duration.ofMillis(Math.max(0, System.currentTimeMillis() - committedAtMillis)));
    }

    /** A write transaction of {@code writes} writes committed, and its commit took {@code commitNanos}. */
    public void writeBatch(int writes, long commitNanos) {
        batchSize.record(writes);
        commit.record(commitNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    public void error(ErrorCode code) {
        errors.computeIfAbsent(code, c -> Counter.builder("fastchat.errors").tag("code", c.name())
                .description("error answers by code").register(registry)).increment();
    }

    /** Everything, in the Prometheus text format. */
    public String scrape() {
        return registry.scrape();
    }
}
