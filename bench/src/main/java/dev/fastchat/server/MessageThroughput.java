package dev.fastchat.server;

import com.google.protobuf.ByteString;
import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.crypto.MessageSealer;
import dev.fastchat.protocol.ConversationId;
import dev.fastchat.protocol.v1.Content;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.Send;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * Direct messages per second through one node, with send-to-ack and send-to-delivery latency: the
 * server's share of messaging. {@code pairs} senders each send {@code messages} direct messages to their
 * own receiver over real sockets, at most {@code window} unacknowledged at a time; every message is
 * stored durably (acknowledged after commit) and pushed to the receiver's session.
 *
 * <p>The messages are really sealed (HPKE and Ed25519, as a client would), but before the timed window:
 * here the clients share the server's cores, and sealing costs far more CPU than the server's work (see
 * {@code MessageSealerBenchmark}). Bounded: {@code pairs x messages} sends, and it gives up after
 * {@value #DEADLINE_SECONDS} s.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.fastchat.server.MessageThroughput
 * [sqlite|postgresql] [pairs] [messages] [window] [nodes] [same|cross]}; PostgreSQL runs use
 * {@code FASTCHAT_BENCH_POSTGRES_URL} and a schema of their own, dropped afterwards. With several nodes (in
 * this JVM, one cluster on PostgreSQL and {@code FASTCHAT_BENCH_NATS_URL}) the pairs are spread over the
 * nodes; {@code cross} puts each receiver on another node than its sender.
 */
public final class MessageThroughput {
    private static final int DEADLINE_SECONDS = 300;
    private static final long MAX_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(60);

    public static void main(String[] args) throws Exception {
        String database = args.length > 0 ? args[0] : "sqlite";
        int pairs = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        int messages = args.length > 2 ? Integer.parseInt(args[2]) : 400;
        int window = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        int nodeCount = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        boolean cross = args.length > 5 && args[5].equals("cross");
        Path dir = Files.createTempDirectory("fastchat-message-bench");
        Map<String, String> settings = new HashMap<>(Map.of(
                "send-rate", "1000000", "send-burst", "1000000", "login-failure-burst-per-address", "1000000"));
        String schema = null;
        String baseUrl = null;
        if (database.equals("postgresql")) {
            baseUrl = System.getenv("FASTCHAT_BENCH_POSTGRES_URL");
            if (baseUrl == null || baseUrl.isBlank()) {
                throw new IllegalStateException("set FASTCHAT_BENCH_POSTGRES_URL to benchmark PostgreSQL");
            }
            schema = "bench_messages_" + ProcessHandle.current().pid();
            execute(baseUrl, "CREATE SCHEMA " + schema);
            settings.put("db", baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema);
        } else if (!database.equals("sqlite")) {
            throw new IllegalArgumentException("database must be sqlite or postgresql, not " + database);
        }
        if (nodeCount > 1) {
            String nats = System.getenv("FASTCHAT_BENCH_NATS_URL");
            if (nats == null || nats.isBlank() || schema == null) {
                throw new IllegalStateException("several nodes need postgresql and FASTCHAT_BENCH_NATS_URL (nats://127.0.0.1:4222)");
            }
            settings.put("nats", nats);
            settings.put("cluster", "bench" + ProcessHandle.current().pid());
        }
        List<TestServer> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < nodeCount; i++) {
                Map<String, String> node = new HashMap<>(settings);
                node.put("node-id", "n" + i);
                nodes.add(TestServer.start(dir.resolve("n" + i), node));
            }
            run(nodes, database + (nodeCount > 1 ? ", " + nodeCount + " nodes" + (cross ? ", receivers on another node" : ", pairs on one node") : ""),
                    pairs, messages, window, cross);
        } finally {
            nodes.forEach(TestServer::close);
            if (schema != null) {
                execute(baseUrl, "DROP SCHEMA " + schema + " CASCADE");
            }
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    private static void run(List<TestServer> nodes, String database, int pairs, int messages, int window, boolean cross)
            throws Exception {
        SecureRandom random = new SecureRandom();
        List<Pair> all = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
            TestServer senderNode = nodes.get(i % nodes.size());
            TestServer receiverNode = nodes.get((i + (cross ? 1 : 0)) % nodes.size());
            all.add(new Pair(senderNode, receiverNode, random, messages));
        }
        long sealStart = System.nanoTime();
        all.parallelStream().forEach(pair -> pair.seal(random));
        System.out.printf("sealed %d messages in %.1f s (before the timed window)%n",
                pairs * messages, (System.nanoTime() - sealStart) / 1e9);

        LongAdder acked = new LongAdder();
        LongAdder delivered = new LongAdder();
        LongAdder errors = new LongAdder();
        Histogram ackLatency = new Histogram(MAX_LATENCY_NANOS, 3);
        Histogram deliveryLatency = new Histogram(MAX_LATENCY_NANOS, 3);
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Histogram>> acks = new ArrayList<>();
            List<Future<Histogram>> deliveries = new ArrayList<>();
            for (Pair pair : all) {
                deliveries.add(pool.submit(() -> pair.receive(delivered)));
                acks.add(pool.submit(() -> pair.readAcks(acked, errors)));
                pool.submit(() -> pair.send(window));
            }
            long deadline = start + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
            for (Future<Histogram> future : acks) {
                ackLatency.add(future.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            for (Future<Histogram> future : deliveries) {
                deliveryLatency.add(future.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            }
            System.out.printf("%s: %d pairs x %d messages, window %d: %d acked, %d delivered, %d errors in %.2f s: %.0f messages/s%n",
                    database, pairs, messages, window, acked.sum(), delivered.sum(), errors.sum(), seconds, acked.sum() / seconds);
            long batches = nodes.stream().mapToLong(n -> n.server().database().writer().batchCount()).sum();
            long writes = nodes.stream().mapToLong(n -> n.server().database().writer().committedCount()).sum();
            System.out.printf("write batches: %d, %.1f writes each on average%n", batches, (double) writes / Math.max(1, batches));
            System.out.printf("send to ack:      p50 %.2f ms  p99 %.2f ms  max %.2f ms%n", millis(ackLatency, 50),
                    millis(ackLatency, 99), ackLatency.getMaxValue() / 1e6);
            System.out.printf("send to delivery: p50 %.2f ms  p99 %.2f ms  max %.2f ms%n", millis(deliveryLatency, 50),
                    millis(deliveryLatency, 99), deliveryLatency.getMaxValue() / 1e6);
        } finally {
            all.forEach(Pair::close);
        }
    }

    private static double millis(Histogram histogram, double percentile) {
        return histogram.getValueAtPercentile(percentile) / 1e6;
    }

    private static void execute(String url, String sql) throws Exception {
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    /** A sender and its receiver, each on its own connection, and the sender's sealed messages. */
    private static final class Pair {
        private final WireClient sender;
        private final WireClient receiver;
        private final long senderId;
        private final long receiverId;
        private final IdentityKeyPair senderKeys;
        private final IdentityKeyPair receiverKeys;
        private final ConversationId conversation;
        private final Envelope[] sends;
        private final AtomicLongArray sentAt;
        private final Semaphore window = new Semaphore(0);

        Pair(TestServer senderNode, TestServer receiverNode, SecureRandom random, int messages) {
            sender = senderNode.connect();
            receiver = receiverNode.connect();
            sender.hello();
            receiver.hello();
            senderId = sender.register(WireClient.uniqueName("s"), WireClient.random(32)).getSession().getAccountId();
            receiverId = receiver.register(WireClient.uniqueName("r"), WireClient.random(32)).getSession().getAccountId();
            senderKeys = IdentityKeyPair.generate(random);
            receiverKeys = IdentityKeyPair.generate(random);
            conversation = ConversationId.direct(senderId, receiverId);
            sends = new Envelope[messages];
            sentAt = new AtomicLongArray(messages);
        }

        void seal(SecureRandom random) {
            List<MessageSealer.Recipient> recipients = List.of(
                    new MessageSealer.Recipient(senderId, 1, senderKeys.publicIdentity().x25519()),
                    new MessageSealer.Recipient(receiverId, 1, receiverKeys.publicIdentity().x25519()));
            MessageSealer.Sender from = new MessageSealer.Sender(senderId, 1, senderKeys);
            for (int k = 0; k < sends.length; k++) {
                String clientMsgId = Integer.toString(k);
                Content content = Content.newBuilder().setText("message " + k + " " + "x".repeat(80)).build();
                byte[] sealed = MessageSealer.seal(from, conversation.value(), clientMsgId, Instant.now(), content, recipients, random);
                sends[k] = Envelope.newBuilder().setRequestId(k + 1).setSend(Send.newBuilder()
                        .setConversationId(conversation.value())
                        .setClientMsgId(clientMsgId)
                        .setSealed(ByteString.copyFrom(sealed))).build();
            }
        }

        /** Sends every message, keeping at most {@code limit} unacknowledged. */
        Void send(int limit) throws InterruptedException {
            window.release(limit);
            for (int k = 0; k < sends.length; k++) {
                window.acquire();
                sentAt.set(k, System.nanoTime());
                sender.send(sends[k]);
            }
            return null;
        }

        Histogram readAcks(LongAdder acked, LongAdder errors) {
            Histogram latency = new Histogram(MAX_LATENCY_NANOS, 3);
            for (int answered = 0; answered < sends.length; answered++) {
                Envelope response = sender.read();
                int k = (int) response.getRequestId() - 1;
                if (response.hasSendAck()) {
                    latency.recordValue(Math.min(MAX_LATENCY_NANOS, System.nanoTime() - sentAt.get(k)));
                    acked.increment();
                } else {
                    errors.increment();
                    System.err.println("message " + k + ": " + response.getError().getCode() + " " + response.getError().getReason());
                }
                window.release();
            }
            return latency;
        }

        Histogram receive(LongAdder delivered) {
            Histogram latency = new Histogram(MAX_LATENCY_NANOS, 3);
            int received = 0;
            while (received < sends.length) {
                Envelope push = receiver.read();
                if (push.hasDeliver()) {
                    received++;
                    int k = (int) push.getDeliver().getMessage().getSeq() - 1;
                    latency.recordValue(Math.min(MAX_LATENCY_NANOS, System.nanoTime() - sentAt.get(k)));
                    delivered.increment();
                }
            }
            return latency;
        }

        void close() {
            sender.close();
            receiver.close();
        }
    }
}
