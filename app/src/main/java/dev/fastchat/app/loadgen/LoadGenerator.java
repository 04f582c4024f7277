package dev.fastchat.app.loadgen;

import dev.fastchat.client.ChatClient;
import dev.fastchat.client.ChatException;
import dev.fastchat.client.ChatListener;
import dev.fastchat.client.ChatMessage;
import dev.fastchat.client.Endpoint;
import dev.fastchat.client.PreparedMessage;
import dev.fastchat.client.PushSampler;
import dev.fastchat.client.SentMessage;
import dev.fastchat.client.Target;
import dev.fastchat.crypto.KdfParams;
import dev.fastchat.protocol.v1.ErrorCode;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
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
 * Drives real clients (the client library: real sockets, real sealing and opening) against one node or a
 * cluster on an open-loop schedule: message {@code k} is due at {@code start + k / rate} whatever happened
 * before, and its latency is counted from that due time, so a slow server shows as latency instead of
 * quietly lowering the offered load (no coordinated omission). Bounded by a message count and a duration;
 * it stops by itself, waits a little for the last deliveries, and closes its clients.
 */
public final class LoadGenerator {
    private static final long MAX_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(120);
    private static final Duration DRAIN = Duration.ofSeconds(15);
    /** Message ids each load client remembers (see {@link ChatClient.Builder#rememberedMessages}). */
    private static final int REMEMBERED_MESSAGES = 64;
    /** Longest wait for the acks still due when the schedule ends: a client's request timeout (60 s) and a reconnect's retries. */
    private static final Duration ACK_WAIT = Duration.ofSeconds(150);

    /** How clients seal: every message in the timed window, or all of them before it. */
    public enum Crypto { FULL, PRESEALED }

    /**
     * One run.
     *
     * @param warmup run this long at the rate first, outside the summary (JIT compilation, connection warm-up)
     * @param messages most messages in the measured window (0: rate x duration)
     * @param kdf the Argon2id cost new load accounts register with
     * @param insecurePlaintext plain TCP instead of TLS (the servers' certificates are pinned on first use in {@code keys})
     * @param openOneIn recipients verify and open one pushed message in this many (by seq); the others are matched to
     *     their sends by conversation and seq, unopened (1: open every one)
     */
    public record Options(List<Endpoint> servers, int clients, Pattern pattern, int rate, Duration warmup, Duration duration,
                          long messages, int groupSize, Crypto crypto, Path keys, KdfParams kdf, String namePrefix,
                          boolean insecurePlaintext, int openOneIn) {
        public Options {
            if (openOneIn < 1) {
                throw new IllegalArgumentException("open one message in at least 1, not " + openOneIn);
            }
        }

        public long total() {
            long scheduled = (long) rate * duration.toSeconds();
            return (long) rate * warmup.toSeconds() + (messages > 0 ? Math.min(messages, scheduled) : scheduled);
        }
    }

    /**
     * Told when the measured window starts (the first message after the warm-up is due), of each delivery, and when
     * the window is over (the last deliveries are in, or the drain gave up): a caller measuring alongside, such as the
     * server's CPU time. Each method does nothing unless overridden.
     */
    public interface Window {
        Window NONE = new Window() {};

        default void started() {}

        default void ended() {}

        /** Told of each delivery of message {@code k}, {@code latencyNanos} after it was due (on a client's thread). */
        default void delivered(int k, long latencyNanos) {}
    }

    /** What one second looked like. */
    public record Second(int second, long offered, long acked, long delivered, long errors, Histogram endToEnd, Histogram ack) {}

    /** Everything a run measured. */
    public record Result(Options options, long offered, long acked, long delivered, long expectedDeliveries, long lost, long duplicated,
                         Map<ErrorCode, Long> errors, Histogram endToEnd, Histogram ack, List<Second> timeline,
                         double seconds, Map<String, Integer> sessionsPerNode, double setupSeconds) {
        public double achievedRate() {
            return acked / seconds;
        }
    }

    private final Options options;
    private final LoadAccounts accounts;
    private final PrintStream progress;
    private final boolean interactive;
    private final Window window;
    private final long runId = System.nanoTime() & 0xffffff;
    private final Recorder endToEnd = new Recorder(MAX_LATENCY_NANOS, 3);
    private final Recorder ackLatency = new Recorder(MAX_LATENCY_NANOS, 3);
    private final LongAdder offered = new LongAdder();
    private final LongAdder acked = new LongAdder();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder failed = new LongAdder();
    /** Sends whose ack (or failure) has not come yet. */
    private final java.util.concurrent.atomic.AtomicInteger unacknowledged = new java.util.concurrent.atomic.AtomicInteger();
    private final Map<ErrorCode, LongAdder> errors = new ConcurrentHashMap<>();
    /** Pushes left unopened and sends acknowledged, met by conversation and seq (with --open-sample). */
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    private long startNanos;
    private AtomicIntegerArray deliveries;
    private AtomicIntegerArray expected;

    public LoadGenerator(Options options, PrintStream progress, boolean interactive) {
        this(options, progress, interactive, Window.NONE);
    }

    public LoadGenerator(Options options, PrintStream progress, boolean interactive, Window window) {
        this.options = options;
        this.accounts = new LoadAccounts(options, progress);
        this.progress = progress;
        this.interactive = interactive;
        this.window = window;
    }

    public Result run() throws Exception {
        if (options.clients() < options.pattern().minimumClients()) {
            throw new IllegalArgumentException(options.pattern().label() + " needs at least " + options.pattern().minimumClients() + " clients");
        }
        if (options.pattern().usesGroup() && (options.groupSize() < 2 || options.groupSize() > options.clients())) {
            throw new IllegalArgumentException("--group-size must be from 2 to the number of clients (" + options.clients() + ")");
        }
        long total = options.total();
        if (total < 1 || total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the run has " + total + " messages: give --rate, --duration (and --messages) so that it has some");
        }
        deliveries = new AtomicIntegerArray((int) total);
        expected = new AtomicIntegerArray((int) total);
        EventLoopGroup io = new MultiThreadIoEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()),
                Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        List<ChatClient> clients = new ArrayList<>();
        try {
            long setupStart = System.nanoTime();
            List<String> names = connect(io, clients);
            Target group = options.pattern().usesGroup() ? accounts.group(clients, names) : null;
            PreparedMessage[] prepared = options.crypto() == Crypto.PRESEALED && options.pattern() != Pattern.LOGIN_STORM
                    ? preseal(clients, names, group, (int) total) : null;
            double setupSeconds = (System.nanoTime() - setupStart) / 1e9;
            progress.printf("%d clients ready in %.1f s (%s)%s; running %s at %d msgs/s for up to %d s (%d messages, warm-up included)%n",
                    clients.size(), setupSeconds, options.crypto() == Crypto.FULL ? "sealing in the window" : "presealed",
                    group == null ? "" : ", group of " + options.groupSize(), options.pattern().label(), options.rate(),
                    options.warmup().toSeconds() + options.duration().toSeconds(), total);
            List<Second> timeline = new ArrayList<>();
            Histogram allEndToEnd = new Histogram(MAX_LATENCY_NANOS, 3);
            Histogram allAck = new Histogram(MAX_LATENCY_NANOS, 3);
            double seconds = schedule(clients, names, group, prepared, (int) total, timeline, allEndToEnd, allAck);
            Map<String, Integer> perNode = new java.util.TreeMap<>();
            for (ChatClient client : clients) {
                client.serverInfo().ifPresent(info -> perNode.merge(info.nodeId(), 1, Integer::sum));
            }
            long expectedTotal = 0;
            long lost = 0;
            long duplicated = 0;
            for (int k = 0; k < total; k++) {
                expectedTotal += expected.get(k);
                lost += Math.max(0, expected.get(k) - deliveries.get(k));
                duplicated += Math.max(0, deliveries.get(k) - expected.get(k));
            }
            Map<ErrorCode, Long> errorCounts = new EnumMap<>(ErrorCode.class);
            errors.forEach((code, count) -> errorCounts.put(code, count.sum()));
            return new Result(options, offered.sum(), acked.sum(), delivered.sum(), expectedTotal, lost, duplicated, errorCounts, allEndToEnd,
                    allAck, timeline, seconds, perNode, setupSeconds);
        } finally {
            try (ExecutorService closer = Executors.newVirtualThreadPerTaskExecutor()) {
                clients.forEach(client -> closer.submit(client::close));
            }
            io.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    // ---- set-up

    private ChatClient newClient(EventLoopGroup io, ChatListener listener) {
        ChatClient.Builder builder = ChatClient.builder().eventLoopGroup(io).keyStoreDirectory(options.keys())
                .registrationKdf(options.kdf()).clientName("fastchat-loadgen").listener(listener).autoReconnect(true)
                .requestTimeout(Duration.ofSeconds(60)).insecurePlaintext(options.insecurePlaintext())
                .receipts(false) // the message path is measured; what receipts add is measured apart (docs/performance.md)
                // A load client never looks back: it needs its message ids only while a push and a fetch of the same
                // messages may cross (a few in flight per conversation). Kept to this many, the run's live set stays
                // flat instead of growing with every message, and so do the collector's pauses.
                .rememberedMessages(REMEMBERED_MESSAGES);
        if (options.openOneIn() > 1) {
            builder.pushSampler(new Sampling());
        }
        for (Endpoint server : options.servers()) {
            builder.server(server.host(), server.port());
        }
        return builder.build();
    }

    /** Logs every load client in, registering those that do not exist yet. */
    private List<String> connect(EventLoopGroup io, List<ChatClient> clients) throws Exception {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < options.clients(); i++) {
            names.add(options.namePrefix() + i);
            clients.add(newClient(io, new Counting()));
        }
        accounts.logInAll(clients, names);
        return names;
    }

    /** Seals every message before the timed window (both cores at it). */
    private PreparedMessage[] preseal(List<ChatClient> clients, List<String> names, Target group, int total) throws Exception {
        PreparedMessage[] prepared = new PreparedMessage[total];
        long start = System.nanoTime();
        Semaphore parallel = new Semaphore(Runtime.getRuntime().availableProcessors() * 2);
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int k = 0; k < total; k++) {
            Pattern.Step step = options.pattern().step(k, options.clients(), options.groupSize());
            Target to = step.toGroup() ? group : Target.user(names.get(step.recipient()));
            int index = k;
            parallel.acquire();
            all.add(clients.get(step.sender()).prepare(to, text(index)).whenComplete((message, failure) -> {
                prepared[index] = message;
                parallel.release();
            }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.MINUTES);
        progress.printf("presealed %d messages in %.1f s (before the timed window)%n", total, (System.nanoTime() - start) / 1e9);
        return prepared;
    }

    private String text(int k) {
        return text(runId, k);
    }

    /** The text of message {@code k} of the run {@code runId} (other drivers of the same scenario use it too). */
    public static String text(long runId, int k) {
        return "lg:" + runId + ":" + k + " load message";
    }

    /** Which message of the run {@code runId} a text is ({@link #text(long, int)}); -1 for any other text. */
    public static int number(String text, long runId) {
        if (!text.startsWith("lg:")) {
            return -1;
        }
        int first = text.indexOf(':', 3);
        int end = text.indexOf(' ', first + 1);
        if (first < 0 || end < 0 || Long.parseLong(text.substring(3, first)) != runId) {
            return -1; // an earlier run's message, met again in a sync
        }
        return Integer.parseInt(text.substring(first + 1, end));
    }

    // ---- the timed window

    private double schedule(List<ChatClient> clients, List<String> names, Target group, PreparedMessage[] prepared, int total,
                            List<Second> timeline, Histogram allEndToEnd, Histogram allAck) throws Exception {
        long intervalNanos = TimeUnit.SECONDS.toNanos(1) / options.rate();
        long warmupMessages = (long) options.rate() * options.warmup().toSeconds();
        long deadline;
        Thread ticker;
        try (ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor()) {
            startNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            deadline = startNanos + options.warmup().toNanos() + options.duration().toNanos();
            ticker = Thread.ofPlatform().name("loadgen-ticker").daemon(true)
                    .start(() -> tick(total, timeline, allEndToEnd, allAck));
            for (int k = 0; k < total; k++) {
                long due = startNanos + k * intervalNanos;
                if (due >= deadline) {
                    break;
                }
                while (System.nanoTime() < due) {
                    LockSupport.parkNanos(due - System.nanoTime());
                }
                if (k == warmupMessages) {
                    window.started();
                }
                offered.increment();
                int index = k;
                if (options.pattern() == Pattern.LOGIN_STORM) {
                    senders.execute(() -> logInAgain(clients, names, index, due));
                } else {
                    send(clients, names, group, prepared, index, due);
                }
            }
            // the executor's close waits for the log-ins in flight
        }
        awaitAcks();
        long sent = System.nanoTime();
        long drainUntil = sent + DRAIN.toNanos();
        while (System.nanoTime() < drainUntil && !allDelivered(total)) {
            Thread.sleep(50);
        }
        window.ended();
        double seconds = (sent - startNanos) / 1e9;
        ticker.interrupt();
        ticker.join(5_000);
        return Math.max(seconds, 1e-3);
    }

    private boolean allDelivered(int total) {
        for (int k = 0; k < total; k++) {
            if (deliveries.get(k) < expected.get(k)) {
                return false;
            }
        }
        return true;
    }

    /** One device logs out and in again: the login-storm pattern's step. */
    private void logInAgain(List<ChatClient> clients, List<String> names, int k, long due) {
        Pattern.Step step = options.pattern().step(k, options.clients(), options.groupSize());
        ChatClient client = clients.get(step.sender());
        String name = names.get(step.sender());
        try {
            // A step due while the same client's previous one is still logging in waits for it (as a person would),
            // instead of logging out a half-made session.
            synchronized (client) {
                client.logout().get(60, TimeUnit.SECONDS);
                client.login(name, LoadAccounts.password(name)).get(60, TimeUnit.SECONDS);
            }
            answered(due, null);
        } catch (Exception e) {
            answered(due, e);
        }
    }

    /**
     * Sends message {@code k} from the ticker's thread and counts its ack when it comes: no thread waits for it (each
     * send is bounded by the client's request timeout).
     */
    private void send(List<ChatClient> clients, List<String> names, Target group, PreparedMessage[] prepared, int k, long due) {
        Pattern.Step step = options.pattern().step(k, options.clients(), options.groupSize());
        int recipients = step.toGroup() ? options.groupSize() - 1 : 1;
        PreparedMessage sealed = prepared != null ? prepared[k] : null;
        if (sealed != null) {
            prepared[k] = null; // garbage once sent: the run's live set stays small, and so do its collector's pauses
        }
        unacknowledged.incrementAndGet();
        CompletableFuture<SentMessage> ack = sealed != null
                ? clients.get(step.sender()).sendPrepared(sealed)
                : clients.get(step.sender()).send(step.toGroup() ? group : Target.user(names.get(step.recipient())), text(k));
        ack.whenComplete((sent, failure) -> {
            if (failure == null) {
                expected.set(k, recipients);
                if (options.openOneIn() > 1 && !opened(sent.seq())) { // (the others count by their text)
                    String key = sent.conversationId() + "#" + sent.seq();
                    if (slots.computeIfAbsent(key, x -> new Slot()).sent(k, recipients)) {
                        slots.remove(key);
                    }
                }
            }
            answered(due, failure);
            unacknowledged.decrementAndGet();
        });
    }

    /** Counts a step's answer: its latency from the due time, or its error. */
    private void answered(long due, Throwable failure) {
        if (failure == null) {
            ackLatency.recordValue(Math.min(MAX_LATENCY_NANOS, System.nanoTime() - due));
            acked.increment();
            return;
        }
        failed.increment();
        Throwable cause = unwrap(failure);
        ErrorCode code = cause instanceof ChatException chat ? chat.code() : ErrorCode.INTERNAL;
        errors.computeIfAbsent(code, c -> new LongAdder()).increment();
    }

    /** Waits for the acks of the sends in flight (each ends by the client's request timeout, or this gives up). */
    private void awaitAcks() throws InterruptedException {
        long giveUp = System.nanoTime() + ACK_WAIT.toNanos();
        while (unacknowledged.get() > 0 && System.nanoTime() < giveUp) {
            Thread.sleep(10);
        }
    }

    /** A load client's listener: counts each delivered load message and its latency from the due time. */
    private final class Counting implements ChatListener {
        @Override
        public void message(ChatMessage message) {
            int k = message.outgoing() ? -1 : number(message.text(), runId);
            if (k >= 0) {
                delivered(k, System.nanoTime());
            }
        }
    }

    private void delivered(int k, long atNanos) {
        long due = startNanos + k * (TimeUnit.SECONDS.toNanos(1) / options.rate());
        long latency = Math.max(0, atNanos - due);
        endToEnd.recordValue(Math.min(MAX_LATENCY_NANOS, latency));
        window.delivered(k, latency);
        deliveries.incrementAndGet(k);
        delivered.increment();
    }

    /** Whether the recipients open the message of this seq (all of them, without --open-sample). */
    private boolean opened(long seq) {
        return seq % options.openOneIn() == 0;
    }

    /** Opens one pushed message in {@code openOneIn} (by seq); the others count when their send's ack names them. */
    private final class Sampling implements PushSampler {
        @Override
        public boolean open(String conversationId, long seq, long senderId) {
            return opened(seq);
        }

        @Override
        public void unopened(String conversationId, long seq, long senderId) {
            long now = System.nanoTime();
            String key = conversationId + "#" + seq;
            if (slots.computeIfAbsent(key, x -> new Slot()).arrived(now)) {
                slots.remove(key);
            }
        }
    }

    /**
     * One message of a conversation, met from both ends: the ack of its send (which says which message it is and
     * how many pushes to expect) and its unopened pushes (a group's members get one each), in either order. Its
     * methods say when it has seen them all (it is then dropped).
     */
    private final class Slot {
        private int k = -1;
        private int expecting;
        private int unopened;
        private long[] early = new long[0]; // pushes that came before the ack

        synchronized boolean sent(int message, int recipients) {
            k = message;
            expecting = recipients;
            for (long at : early) {
                delivered(k, at);
            }
            early = null;
            return unopened >= expecting;
        }

        synchronized boolean arrived(long atNanos) {
            unopened++;
            if (k >= 0) {
                delivered(k, atNanos);
                return unopened >= expecting;
            }
            early = java.util.Arrays.copyOf(early, early.length + 1);
            early[early.length - 1] = atNanos;
            return false;
        }
    }

    /** Every second: a row of the timeline, and the progress line; at the end, the last (partial) second. */
    private void tick(int total, List<Second> timeline, Histogram allEndToEnd, Histogram allAck) {
        long[] last = new long[4]; // offered, acked, delivered, failed at the previous row
        long next = startNanos + TimeUnit.SECONDS.toNanos(1);
        int second = 1;
        try {
            for (; ; second++) {
                while (System.nanoTime() < next) {
                    LockSupport.parkNanos(next - System.nanoTime());
                    if (Thread.interrupted()) {
                        throw new InterruptedException();
                    }
                }
                next += TimeUnit.SECONDS.toNanos(1);
                Second row = row(second, last, timeline, allEndToEnd, allAck);
                showProgress(offered.sum(), total, row.acked(), row.endToEnd(), failed.sum());
            }
        } catch (InterruptedException e) {
            row(second, last, timeline, allEndToEnd, allAck);
            if (interactive) {
                progress.println();
            }
        }
    }

    /** Closes the current second: its counts and latencies go to the timeline (and, after the warm-up, the summary). */
    private Second row(int second, long[] last, List<Second> timeline, Histogram allEndToEnd, Histogram allAck) {
        Histogram e2e = endToEnd.getIntervalHistogram();
        Histogram ack = ackLatency.getIntervalHistogram();
        if (second > options.warmup().toSeconds()) { // the summary leaves the warm-up out
            allEndToEnd.add(e2e);
            allAck.add(ack);
        }
        long[] now = {offered.sum(), acked.sum(), delivered.sum(), failed.sum()};
        Second row = new Second(second, now[0] - last[0], now[1] - last[1], now[2] - last[2], now[3] - last[3], e2e, ack);
        timeline.add(row);
        System.arraycopy(now, 0, last, 0, now.length);
        return row;
    }

    private void showProgress(long offeredSoFar, int total, long ackedThisSecond, Histogram e2e, long failures) {
        int width = 30;
        int filled = (int) Math.min(width, offeredSoFar * width / Math.max(1, total));
        String bar = "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]";
        String line = String.format("%s %3d%%  %,7d msgs/s  p99 %7.2f ms  errors %d", bar, offeredSoFar * 100 / Math.max(1, total),
                ackedThisSecond, e2e.getValueAtPercentile(99) / 1e6, failures);
        if (interactive) {
            progress.print("\r" + line);
            progress.flush();
        } else {
            progress.println(line);
        }
    }

    /** What a step failed with, out of the wrappers of futures. */
    static Throwable unwrap(Throwable e) {
        Throwable cause = e;
        while ((cause instanceof ExecutionException || cause instanceof java.util.concurrent.CompletionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
