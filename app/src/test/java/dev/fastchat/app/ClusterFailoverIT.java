package dev.fastchat.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.client.ChatClient;
import dev.fastchat.client.ChatGroup;
import dev.fastchat.client.ChatListener;
import dev.fastchat.client.ChatMessage;
import dev.fastchat.client.SentMessage;
import dev.fastchat.client.Target;
import dev.fastchat.client.UserPresence;
import dev.fastchat.crypto.KdfParams;
import dev.fastchat.server.testing.WireClient;
import dev.fastchat.testkit.PostgresExtension;
import dev.fastchat.testkit.TestServices;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three node processes on the real PostgreSQL and NATS, six users spread over them, a bounded load of
 * direct and group messages, and one node killed with SIGKILL in the middle of it. Every acknowledged
 * message must reach every recipient's client exactly once and in order; the dead node's clients must be
 * back within seconds; a user who was only on the dead node must show offline within the node timeout.
 */
class ClusterFailoverIT {
    private static final int USERS = 6;
    private static final int DIRECT_PER_USER = 30;
    private static final int GROUP_PER_USER = 6;

    @RegisterExtension
    static final PostgresExtension postgres = new PostgresExtension();

    @TempDir
    Path dir;

    /** An acknowledged message: where, at which seq, from whom. */
    record Sent(String conversationId, long seq, String sender) {}

    /** What one client was told, in order. */
    static final class Inbox implements ChatListener {
        final List<ChatMessage> messages = new CopyOnWriteArrayList<>();
        final List<UserPresence> presence = new CopyOnWriteArrayList<>();
        /** Messages the client refused, and why: named when the test fails. */
        final List<String> rejected = new CopyOnWriteArrayList<>();

        @Override
        public void rejected(String conversationId, long seq, String reason) {
            rejected.add(conversationId + " #" + seq + ": " + reason);
        }

        @Override
        public void message(ChatMessage message) {
            messages.add(message);
        }

        @Override
        public void presence(UserPresence change) {
            presence.add(change);
        }
    }

    @Test
    void killingANodeMidLoadLosesNoAcknowledgedMessageAndItsClientsComeBack() throws Exception {
        String nats = TestServices.require(TestServices.NATS);
        String cluster = WireClient.uniqueName("f");
        List<NodeProcess> nodes = new ArrayList<>();
        List<ChatClient> clients = new ArrayList<>();
        List<ChatClient> stay = new ArrayList<>(); // clients that do not reconnect
        try {
            for (int i = 0; i < 3; i++) {
                nodes.add(NodeProcess.start(List.of("-Xmx256m"), "--listen", "127.0.0.1:0", "--db", postgres.url(), "--nats", nats,
                        "--node-id", "n" + i, "--data", dir.resolve("n" + i).toString(), "--set", "cluster=" + cluster,
                        "--set", "node-timeout=3s", "--set", "send-rate=100000", "--set", "send-burst=100000",
                        "--set", "min-kdf-memory-kib=8", "--set", "min-kdf-iterations=1"));
            }
            List<String> names = new ArrayList<>();
            List<Inbox> inboxes = new ArrayList<>();
            for (int u = 0; u < USERS; u++) { // user u starts on node u % 3 and knows the others
                Inbox inbox = new Inbox();
                ChatClient.Builder builder = ChatClient.builder().keyStoreDirectory(dir.resolve("keys"))
                        .registrationKdf(KdfParams.INSECURE_FOR_TESTS).listener(inbox).autoReconnect(true);
                for (int k = 0; k < 3; k++) {
                    builder.server("127.0.0.1", nodes.get((u + k) % 3).port);
                }
                ChatClient client = builder.build();
                clients.add(client);
                client.connect().get(30, TimeUnit.SECONDS);
                names.add(WireClient.uniqueName("u" + u));
                client.register(names.get(u), "pw".toCharArray()).get(30, TimeUnit.SECONDS);
                inboxes.add(inbox);
                assertThat(client.serverInfo().orElseThrow().nodeId()).isEqualTo("n" + (u % 3));
            }
            ChatGroup group = clients.getFirst().createGroup(WireClient.uniqueName("all")).get(30, TimeUnit.SECONDS);
            for (int u = 1; u < USERS; u++) {
                clients.getFirst().addMember(group.name(), names.get(u)).get(30, TimeUnit.SECONDS);
                clients.get(u).invitations().accept(group.name()).get(30, TimeUnit.SECONDS);
            }
            // A session on n1 only, which will not come back: it must fall offline.
            String lonelyName = WireClient.uniqueName("lonely");
            ChatClient lonely = ChatClient.builder().server("127.0.0.1", nodes.get(1).port).keyStoreDirectory(dir.resolve("keys"))
                    .registrationKdf(KdfParams.INSECURE_FOR_TESTS).build();
            stay.add(lonely);
            lonely.connect().get(30, TimeUnit.SECONDS);
            lonely.register(lonelyName, "pw".toCharArray()).get(30, TimeUnit.SECONDS);
            assertThat(clients.getFirst().whoIsOnline(lonelyName).get(30, TimeUnit.SECONDS).getFirst().online()).isTrue();

            // The load: each user sends DMs to the next user and messages to the group, paced, from its own thread.
            Map<String, List<Sent>> acked = new ConcurrentHashMap<>();
            CompletableFuture<Void> halfway = new CompletableFuture<>();
            java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
            int total = USERS * (DIRECT_PER_USER + GROUP_PER_USER);
            List<Future<?>> senders = new ArrayList<>();
            // Paced: every 20 ms a token per user, so that most of the load is still to come at the kill.
            java.util.concurrent.Semaphore tokens = new java.util.concurrent.Semaphore(0);
            java.util.concurrent.ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
            pacer.scheduleAtFixedRate(() -> tokens.release(USERS), 20, 20, TimeUnit.MILLISECONDS);
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int u = 0; u < USERS; u++) {
                    int me = u;
                    senders.add(pool.submit(() -> {
                        Target peer = Target.user(names.get((me + 1) % USERS));
                        for (int i = 0; i < DIRECT_PER_USER + GROUP_PER_USER; i++) {
                            assertThat(tokens.tryAcquire(30, TimeUnit.SECONDS)).isTrue();
                            boolean toGroup = i % ((DIRECT_PER_USER + GROUP_PER_USER) / GROUP_PER_USER) == 0;
                            Target to = toGroup ? Target.group(group.name()) : peer;
                            SentMessage ack = clients.get(me).send(to, names.get(me) + " #" + i).get(90, TimeUnit.SECONDS);
                            acked.computeIfAbsent(ack.conversationId(), c -> new CopyOnWriteArrayList<>())
                                    .add(new Sent(ack.conversationId(), ack.seq(), names.get(me)));
                            if (sent.incrementAndGet() == total / 3) {
                                halfway.complete(null);
                            }
                        }
                        return null;
                    }));
                }
                halfway.get(60, TimeUnit.SECONDS);
                long killedAt = System.nanoTime();
                nodes.get(1).kill(); // SIGKILL, mid-load
                for (Future<?> sender : senders) {
                    sender.get(120, TimeUnit.SECONDS); // every send was acknowledged, before or after the failover
                }
                Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> clients.stream().allMatch(ChatClient::isConnected));
                double backWithin = (System.nanoTime() - killedAt) / 1e9;
                assertThat(clients.get(1).serverInfo().orElseThrow().nodeId()).isNotEqualTo("n1");
                assertThat(clients.get(4).serverInfo().orElseThrow().nodeId()).isNotEqualTo("n1");
                System.out.printf("failover: every client connected again %.1f s after the kill%n", backWithin);
            } finally {
                pacer.shutdownNow();
            }
            assertThat(acked.values().stream().mapToInt(List::size).sum()).isEqualTo(total);

            // Exactly once, in order, at every recipient (the sender's own client got acks, not pushes).
            Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                for (int u = 0; u < USERS; u++) {
                    Map<String, List<Long>> received = inboxes.get(u).messages.stream().collect(Collectors.groupingBy(
                            ChatMessage::conversationId, Collectors.mapping(ChatMessage::seq, Collectors.toList())));
                    String myName = names.get(u);
                    for (Map.Entry<String, List<Sent>> conversation : acked.entrySet()) {
                        List<Long> expected = new ArrayList<>();
                        for (Sent ack : conversation.getValue()) {
                            if (recipientOf(ack, myName, names, group)) {
                                expected.add(ack.seq());
                            }
                        }
                        if (expected.isEmpty()) {
                            continue;
                        }
                        expected.sort(Long::compare);
                        assertThat(received.getOrDefault(conversation.getKey(), List.of()))
                                .as("%s in %s (refused: %s)", myName, conversation.getKey(), inboxes.get(u).rejected)
                                .containsExactlyElementsOf(expected);
                    }
                }
            });

            // The raw session of the dead node is offline within the node timeout (3 s here) and a little.
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                    !clients.getFirst().whoIsOnline(lonelyName).get(30, TimeUnit.SECONDS).getFirst().online());
        } finally {
            clients.forEach(ChatClient::close);
            stay.forEach(ChatClient::close);
            for (NodeProcess node : nodes) {
                node.close();
            }
        }
    }

    /** Whether {@code user} receives this acknowledged message: a member of its conversation who did not send it. */
    private static boolean recipientOf(Sent sent, String user, List<String> names, ChatGroup group) {
        if (sent.sender().equals(user)) {
            return false;
        }
        if (sent.conversationId().equals(group.conversationId())) {
            return true;
        }
        return names.get((names.indexOf(sent.sender()) + 1) % names.size()).equals(user);
    }
}
