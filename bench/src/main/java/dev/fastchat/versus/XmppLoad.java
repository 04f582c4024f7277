package dev.fastchat.versus;

import dev.fastchat.app.loadgen.LoadGenerator;
import dev.fastchat.app.loadgen.LoadGenerator.Window;
import dev.fastchat.app.loadgen.Pattern;
import dev.fastchat.versus.XmppConnection.Element;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The load generator's scenario against an XMPP server: the same clients, patterns and open-loop schedule as
 * {@code fastchat loadgen} (message {@code k} is due at {@code start + k / rate}, latency counts from the due
 * time), as XMPP chat messages between accounts {@code lg<N>} of {@code domain}. With stream management a
 * message counts as acknowledged when the server's {@code <a h=.../>} covers it (the client asks with
 * {@code <r/>} after each message); without, when it is written. Lost: acknowledged, never delivered. As in
 * the load generator, the counts cover the whole run and the latencies the measured window.
 * Direct patterns only (odd-even, same-half, to-first-three). Bounded like the load generator: a count and a
 * duration, then up to 15 s for the last deliveries.
 */
final class XmppLoad {
    private static final long MAX_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(120);
    private static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(15);
    private static final int SETUP_CONCURRENCY = 16;

    record Options(String host, int port, String domain, int clients, Pattern pattern, int rate, Duration warmup, Duration duration,
                   boolean streamManagement, boolean register) {}

    private final Options options;
    private final PrintStream progress;
    private final Window window;
    private final long runId = System.nanoTime() & 0xffffff;
    private final Recorder endToEnd = new Recorder(MAX_LATENCY_NANOS, 3);
    private final Recorder ackLatency = new Recorder(MAX_LATENCY_NANOS, 3);
    private final LongAdder offered = new LongAdder();
    private final LongAdder acked = new LongAdder();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final long intervalNanos;
    private volatile long startNanos;
    private volatile long measuredFrom = Long.MAX_VALUE;
    private AtomicIntegerArray deliveries;
    private AtomicIntegerArray expected;

    XmppLoad(Options options, PrintStream progress, Window window) {
        if (options.pattern().usesGroup() || options.pattern() == Pattern.LOGIN_STORM) {
            throw new IllegalArgumentException("the XMPP driver runs the direct-message patterns only, not " + options.pattern().label());
        }
        this.options = options;
        this.progress = progress;
        this.window = window;
        this.intervalNanos = TimeUnit.SECONDS.toNanos(1) / options.rate();
    }

    /** One client: its stream, and the messages it sent that the server has not acknowledged yet. */
    private final class Client {
        final XmppConnection connection;
        final ArrayDeque<long[]> unacked = new ArrayDeque<>(); // {stanza number, k}; under the connection's write lock
        long stanzas = 1; // the initial presence was stanza 1
        int handled; // the server's stanzas received (reader thread only)

        Client(XmppConnection connection) {
            this.connection = connection;
        }

        void send(int k, String to) {
            String body = "<message to='" + to + "@" + options.domain() + "' id='m" + k + "' type='chat'><body>" + LoadGenerator.text(runId, k)
                    + "</body></message>";
            try {
                if (options.streamManagement()) {
                    connection.send(body + "<r xmlns='" + XmppConnection.SM + "'/>", () -> {
                        stanzas++;
                        synchronized (unacked) {
                            unacked.add(new long[] {stanzas, k});
                        }
                    });
                } else {
                    connection.send(body);
                    acknowledged(k);
                }
            } catch (IOException e) {
                errors.increment();
            }
        }

        /** Reads the server's stream until it ends. */
        void read() {
            try {
                for (Element element = connection.next(); element != null; element = connection.next()) {
                    switch (element.name()) {
                        case "message" -> {
                            handled++;
                            received(element);
                        }
                        case "presence" -> handled++;
                        case "iq" -> {
                            handled++;
                            if ("get".equals(element.attribute("type"))) { // a ping: the answer is a stanza of ours too
                                connection.send("<iq type='result' id='" + element.attribute("id") + "' to='" + element.attribute("from") + "'/>",
                                        () -> stanzas++);
                            }
                        }
                        case "r" -> connection.send("<a xmlns='" + XmppConnection.SM + "' h='" + handled + "'/>");
                        case "a" -> acks(Long.parseLong(element.attribute("h")));
                        default -> { }
                    }
                }
            } catch (IOException | RuntimeException e) {
                // closed at the end of the run, or the server went away: what was not delivered counts as lost
            }
        }

        private void acks(long upTo) {
            synchronized (unacked) {
                while (!unacked.isEmpty() && unacked.peek()[0] <= upTo) {
                    acknowledged((int) unacked.poll()[1]);
                }
            }
        }
    }

    private void acknowledged(int k) {
        expected.set(k, 1);
        acked.increment();
        if (dueOf(k) >= measuredFrom) {
            ackLatency.recordValue(Math.min(MAX_LATENCY_NANOS, Math.max(0, System.nanoTime() - dueOf(k))));
        }
    }

    private void received(Element message) {
        if ("error".equals(message.attribute("type"))) {
            errors.increment();
            return;
        }
        Element body = message.child("body");
        int k = body == null ? -1 : LoadGenerator.number(body.text(), runId);
        if (k < 0) {
            return;
        }
        deliveries.incrementAndGet(k);
        delivered.increment();
        if (dueOf(k) >= measuredFrom) {
            endToEnd.recordValue(Math.min(MAX_LATENCY_NANOS, Math.max(0, System.nanoTime() - dueOf(k))));
        }
    }

    private long dueOf(int k) {
        return startNanos + k * intervalNanos;
    }

    Outcome run(String system) throws Exception {
        long warmupMessages = (long) options.rate() * options.warmup().toSeconds();
        long total = warmupMessages + (long) options.rate() * options.duration().toSeconds();
        deliveries = new AtomicIntegerArray((int) total);
        expected = new AtomicIntegerArray((int) total);
        List<Client> clients = connect();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < options.clients(); i++) {
            names.add("lg" + i);
        }
        try (ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor()) {
            clients.forEach(client -> readers.execute(client::read));
            try {
                progress.printf("%s: %d clients ready; %s at %d msgs/s, %d s warm-up and %d s measured%n", system, clients.size(),
                        options.pattern().label(), options.rate(), options.warmup().toSeconds(), options.duration().toSeconds());
                schedule(clients, names, (int) total, (int) warmupMessages);
            } finally {
                clients.forEach(client -> client.connection.close());
            }
        }
        long lost = 0;
        List<String> missing = new ArrayList<>();
        for (int k = 0; k < total; k++) {
            if (expected.get(k) > deliveries.get(k)) {
                lost += expected.get(k) - deliveries.get(k);
                if (missing.size() < 10) {
                    Pattern.Step step = options.pattern().step(k, options.clients(), 0);
                    missing.add("m" + k + " lg" + step.sender() + "->lg" + step.recipient());
                }
            }
        }
        if (!missing.isEmpty()) {
            progress.println(system + ": acknowledged, never delivered: " + String.join(", ", missing));
        }
        Histogram e2e = endToEnd.getIntervalHistogram();
        Histogram ack = ackLatency.getIntervalHistogram();
        return new Outcome(system, options.clients(), options.rate(), offered.sum(), acked.sum(), delivered.sum(), lost, errors.sum(),
                e2e, ack, options.duration().toSeconds());
    }

    private List<Client> connect() throws Exception {
        List<Client> clients = new ArrayList<>();
        Semaphore parallel = new Semaphore(SETUP_CONCURRENCY);
        List<CompletableFuture<Client>> connecting = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < options.clients(); i++) {
                String name = "lg" + i;
                if (i == 1) { // the first alone: ejabberd starts its SQL pool on first use, and fails requests racing it
                    connecting.getFirst().get(1, TimeUnit.MINUTES);
                }
                connecting.add(CompletableFuture.supplyAsync(() -> {
                    parallel.acquireUninterruptibly();
                    try {
                        return new Client(XmppConnection.open(options.host(), options.port(), options.domain(), name, "loadgen-" + name,
                                options.register(), options.streamManagement()));
                    } catch (IOException e) {
                        throw new IllegalStateException(name + ": " + e.getMessage(), e);
                    } finally {
                        parallel.release();
                    }
                }, pool));
            }
            for (CompletableFuture<Client> client : connecting) {
                clients.add(client.get(10, TimeUnit.MINUTES));
            }
        }
        return clients;
    }

    private void schedule(List<Client> clients, List<String> names, int total, int warmupMessages) throws InterruptedException {
        try (ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor()) {
            startNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            measuredFrom = dueOf(warmupMessages);
            for (int k = 0; k < total; k++) {
                long due = dueOf(k);
                while (System.nanoTime() < due) {
                    LockSupport.parkNanos(due - System.nanoTime());
                }
                if (k == warmupMessages) {
                    window.started();
                }
                offered.increment();
                Pattern.Step step = options.pattern().step(k, options.clients(), 0);
                int index = k;
                senders.execute(() -> clients.get(step.sender()).send(index, names.get(step.recipient())));
            }
        }
        long drainUntil = System.nanoTime() + DRAIN_NANOS;
        while (System.nanoTime() < drainUntil && !allDelivered(total)) {
            Thread.sleep(50);
        }
        window.ended();
    }

    private boolean allDelivered(int total) {
        for (int k = 0; k < total; k++) {
            if (deliveries.get(k) < expected.get(k)) {
                return false;
            }
        }
        return true;
    }
}
