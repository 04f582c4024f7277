package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static dev.fastchat.client.ChatFixture.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.client.ChatFixture.Recorder;
import dev.fastchat.crypto.KdfParams;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import dev.fastchat.testkit.PostgresExtension;
import dev.fastchat.testkit.TestServices;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several nodes in one JVM on the real PostgreSQL and NATS (JetStream): messages and presence across nodes,
 * and the balancing policies. Each test is a cluster of its own (its own name: own subjects and buckets).
 */
class ClusterIT {
    @RegisterExtension
    static final PostgresExtension postgres = new PostgresExtension();

    @TempDir
    Path dir;

    /** The nodes of one test's cluster. */
    private final class Nodes implements AutoCloseable {
        final String cluster = WireClient.uniqueName("c");
        final List<TestServer> servers = new ArrayList<>();
        final List<ChatClient> clients = new ArrayList<>();

        TestServer start(String nodeId, String balance) {
            Map<String, String> settings = new HashMap<>(Map.of("db", postgres.url(), "nats", TestServices.require(TestServices.NATS),
                    "cluster", cluster, "node-id", nodeId, "balance", balance, "node-timeout", "3s",
                    "send-rate", "100000", "send-burst", "100000"));
            TestServer server = TestServer.start(dir.resolve(nodeId), settings);
            servers.add(server);
            return server;
        }

        ChatClient client(ChatListener listener, TestServer... nodes) {
            ChatClient.Builder builder = ChatClient.builder().insecurePlaintext(true).keyStoreDirectory(dir.resolve("keys"))
                    .registrationKdf(KdfParams.INSECURE_FOR_TESTS).listener(listener).autoReconnect(true);
            for (TestServer node : nodes) {
                builder.server("127.0.0.1", node.port());
            }
            ChatClient client = builder.build();
            clients.add(client);
            return client;
        }

        @Override
        public void close() {
            clients.forEach(ChatClient::close);
            servers.forEach(TestServer::close);
        }
    }

    private static ChatClient registered(ChatClient client, String name) throws Exception {
        await(client.connect());
        await(client.register(name, "pw".toCharArray()));
        return client;
    }

    @Test
    void messagesAndPresenceCrossNodesWithTheSameGuarantees() throws Exception {
        try (Nodes nodes = new Nodes()) {
            TestServer n1 = nodes.start("n1", "none");
            TestServer n2 = nodes.start("n2", "none");
            TestServer n3 = nodes.start("n3", "none");
            Recorder aliceEvents = new Recorder();
            Recorder bobEvents = new Recorder();
            Recorder carolEvents = new Recorder();
            String alice = WireClient.uniqueName("alice");
            String bob = WireClient.uniqueName("bob");
            String carol = WireClient.uniqueName("carol");
            ChatClient a = registered(nodes.client(aliceEvents, n1), alice);
            ChatClient b = registered(nodes.client(bobEvents, n2), bob);
            ChatClient c = registered(nodes.client(carolEvents, n3), carol);
            assertThat(List.of(a.serverInfo().orElseThrow().nodeId(), b.serverInfo().orElseThrow().nodeId(),
                    c.serverInfo().orElseThrow().nodeId())).containsExactly("n1", "n2", "n3");

            for (int i = 1; i <= 50; i++) {
                await(a.send(Target.user(bob), "dm " + i));
            }
            eventually(() -> assertThat(bobEvents.messages).hasSize(50));
            assertThat(bobEvents.messages).extracting(ChatMessage::seq)
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, 50).boxed().toList());

            ChatGroup team = await(a.groups().create(WireClient.uniqueName("team")));
            await(a.groups().add(team.name(), bob));
            await(b.invitations().accept(team.name()));
            await(a.groups().add(team.name(), carol));
            await(c.invitations().accept(team.name()));
            eventually(() -> assertThat(carolEvents.membership).isNotEmpty()); // a push across nodes
            await(c.send(Target.group(team.name()), "from n3"));
            await(b.send(Target.group(team.name()), "from n2"));
            eventually(() -> assertThat(aliceEvents.texts()).containsExactly("from n3", "from n2"));
            eventually(() -> assertThat(bobEvents.texts()).contains("from n3"));

            assertThat(await(a.whoIsOnline(bob, carol))).allMatch(UserPresence::online);
            b.close();
            eventually(() -> assertThat(aliceEvents.presence).contains(new UserPresence(
                    aliceEvents.presence.isEmpty() ? 0 : aliceEvents.presence.getLast().accountId(), bob, false)));
            assertThat(await(a.whoIsOnline(bob)).getFirst().online()).isFalse();
        }
    }

    @Test
    void loggingOutEverywhereOnOneNodeClosesTheAccountsConnectionsOnTheOthers() throws Exception {
        try (Nodes nodes = new Nodes()) {
            TestServer n1 = nodes.start("n1", "none");
            TestServer n2 = nodes.start("n2", "none");
            String name = WireClient.uniqueName("everywhere");
            ChatClient laptop = registered(nodes.client(new ChatListener() {}, n1), name);
            java.util.concurrent.CompletableFuture<String> ended = new java.util.concurrent.CompletableFuture<>();
            ChatClient phone = nodes.client(new ChatListener() {
                @Override
                public void sessionEnded(String reason) {
                    ended.complete(reason);
                }
            }, n2);
            await(phone.connect());
            await(phone.login(name, "pw".toCharArray()));

            await(laptop.logout(true));
            assertThat(ended.get(20, java.util.concurrent.TimeUnit.SECONDS)).as("the phone on the other node was closed and could not resume")
                    .contains("log in again");
        }
    }

    @Test
    void leastLoadedSendsNewClientsToTheEmptiestNodeAndRoundRobinTakesTurnsAcrossNodes() throws Exception {
        try (Nodes nodes = new Nodes()) {
            TestServer n1 = nodes.start("n1", "least-loaded");
            TestServer n2 = nodes.start("n2", "least-loaded");
            eventually(() -> assertThat(n1.server().cluster().nodes()).hasSize(2));
            List<String> landed = new ArrayList<>();
            for (int i = 0; i < 4; i++) { // everyone asks n1 first
                ChatClient client = registered(nodes.client(new ChatListener() {}, n1), WireClient.uniqueName("u"));
                landed.add(client.serverInfo().orElseThrow().nodeId());
                eventually(() -> assertThat(n1.server().cluster().nodes().stream().mapToInt(n -> n.getSessions()).sum())
                        .isEqualTo(landed.size())); // the registry has caught up
            }
            assertThat(landed.stream().collect(Collectors.groupingBy(n -> n, Collectors.counting())))
                    .containsEntry("n1", 2L).containsEntry("n2", 2L);
        }
        try (Nodes nodes = new Nodes()) {
            TestServer n1 = nodes.start("n1", "round-robin");
            TestServer n2 = nodes.start("n2", "round-robin");
            TestServer n3 = nodes.start("n3", "round-robin");
            eventually(() -> assertThat(n1.server().cluster().nodes()).hasSize(3));
            eventually(() -> assertThat(n2.server().cluster().nodes()).hasSize(3));
            eventually(() -> assertThat(n3.server().cluster().nodes()).hasSize(3));
            List<String> landed = new ArrayList<>();
            TestServer[] entry = {n1, n2, n3};
            for (int i = 0; i < 9; i++) { // asking a different node each time: the turns are still shared
                ChatClient client = nodes.client(new ChatListener() {}, entry[i % 3]);
                await(client.connect());
                landed.add(client.serverInfo().orElseThrow().nodeId());
            }
            assertThat(landed.stream().collect(Collectors.groupingBy(n -> n, Collectors.counting())))
                    .containsOnly(Map.entry("n1", 3L), Map.entry("n2", 3L), Map.entry("n3", 3L));
        }
    }

    @Test
    void adminEndpointsReportHealthReadinessAndMetricsAndChatGoesOnThroughANatsOutage() throws Exception {
        java.net.URI nats = java.net.URI.create(TestServices.require(TestServices.NATS));
        try (Nodes nodes = new Nodes(); dev.fastchat.testkit.TcpProxy proxy = new dev.fastchat.testkit.TcpProxy(nats.getHost(), nats.getPort())) {
            Map<String, String> settings = new HashMap<>(Map.of("db", postgres.url(), "nats", "nats://127.0.0.1:" + proxy.port(),
                    "cluster", nodes.cluster, "node-id", "n1", "admin-listen", "127.0.0.1:0", "node-timeout", "3s"));
            TestServer node = TestServer.start(dir.resolve("n1"), settings);
            nodes.servers.add(node);
            String admin = "http://" + node.server().adminAddress().orElseThrow();
            String alice = WireClient.uniqueName("alice");
            String bob = WireClient.uniqueName("bob");
            ChatClient b = registered(nodes.client(new ChatListener() {}, node), bob);
            ChatClient a = registered(nodes.client(new ChatListener() {}, node), alice);
            await(a.send(Target.user(bob), "counted"));

            assertThat(get(admin + "/health")).isEqualTo("200 ok");
            assertThat(get(admin + "/ready")).isEqualTo("200 ready");
            String metrics = get(admin + "/metrics");
            assertThat(metrics).contains("fastchat_sessions 2.0", "fastchat_messages_in_total 1.0",
                    "fastchat_send_to_ack_seconds_bucket", "fastchat_delivery_seconds_bucket", "fastchat_db_write_batch_size_bucket",
                    "fastchat_db_commit_seconds_bucket", "fastchat_nats_up 1.0", "fastchat_cluster_nodes 1.0");
            assertThat(metrics).as("the writer's commits are timed").containsPattern("(?m)^fastchat_db_commit_seconds_count [1-9]");

            proxy.cut(); // NATS goes away: the node is degraded, not out (a balancer keeps it)
            eventually(() -> assertThat(get(admin + "/ready")).startsWith("200 degraded: NATS is"));
            assertThat(get(admin + "/metrics")).contains("fastchat_nats_up 0.0");
            // PostgreSQL, the source of truth, is up: sends are stored and acknowledged, sessions here get them at once.
            assertThat(await(a.send(Target.user(bob), "during the outage")).seq()).isEqualTo(2);
            assertThat(await(b.history(Target.user(alice), 0, 10))).extracting(ChatMessage::text)
                    .containsExactly("during the outage", "counted");
            proxy.restore();
            eventually(() -> assertThat(get(admin + "/ready")).isEqualTo("200 ready"));
            assertThat(await(a.send(Target.user(bob), "after the outage")).seq()).isEqualTo(3);
            assertThat(get(admin + "/metrics")).contains("fastchat_messages_in_total 3.0");
        }
    }

    @Test
    void messagesSentWhileNatsIsAwayReachTheOtherNodesSessionsWhenItIsBack() throws Exception {
        java.net.URI nats = java.net.URI.create(TestServices.require(TestServices.NATS));
        try (Nodes nodes = new Nodes(); dev.fastchat.testkit.TcpProxy proxy = new dev.fastchat.testkit.TcpProxy(nats.getHost(), nats.getPort())) {
            TestServer n1 = startThrough(nodes, proxy, "n1");
            TestServer n2 = startThrough(nodes, proxy, "n2");
            Recorder bobEvents = new Recorder();
            String alice = WireClient.uniqueName("alice");
            String bob = WireClient.uniqueName("bob");
            ChatClient a = registered(nodes.client(new ChatListener() {}, n1), alice);
            registered(nodes.client(bobEvents, n2), bob);
            await(a.send(Target.user(bob), "before"));
            eventually(() -> assertThat(bobEvents.texts()).containsExactly("before"));

            proxy.cut(); // both nodes lose NATS
            List<SentMessage> acked = new ArrayList<>();
            for (int i = 1; i <= 20; i++) {
                acked.add(await(a.send(Target.user(bob), "while away " + i))); // acknowledged: stored in PostgreSQL
            }
            assertThat(acked).extracting(SentMessage::seq).containsExactlyElementsOf(LongStream.rangeClosed(2, 21).boxed().toList());
            proxy.restore();
            // Each node is told the bus is back and tells its sessions to sync: bob, on the other node, gets
            // every message, once and in order.
            eventually(() -> assertThat(bobEvents.messages).extracting(ChatMessage::seq)
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, 21).boxed().toList()));
        }
    }

    @Test
    void aNodeTakenForDeadWhileCutOffAnnouncesItsUsersAgainWhenItIsBack() throws Exception {
        java.net.URI nats = java.net.URI.create(TestServices.require(TestServices.NATS));
        try (Nodes nodes = new Nodes(); dev.fastchat.testkit.TcpProxy link2 = new dev.fastchat.testkit.TcpProxy(nats.getHost(), nats.getPort())) {
            TestServer n1 = nodes.start("n1", "none");
            TestServer n2 = startThrough(nodes, link2, "n2");
            Recorder aliceEvents = new Recorder();
            String alice = WireClient.uniqueName("alice");
            String bob = WireClient.uniqueName("bob");
            ChatClient a = registered(nodes.client(aliceEvents, n1), alice);
            ChatClient b = registered(nodes.client(new ChatListener() {}, n2), bob);
            await(b.send(Target.user(alice), "we are contacts"));
            eventually(() -> assertThat(await(a.whoIsOnline(bob)).getFirst().online()).isTrue());

            link2.cut(); // n2 is cut off from NATS longer than the node timeout (3 s): n1 takes it for dead
            eventually(() -> assertThat(await(a.whoIsOnline(bob)).getFirst().online()).isFalse());
            eventually(() -> assertThat(aliceEvents.presence).extracting(UserPresence::online).contains(false));
            link2.restore();
            // n2 finds its users gone from the cluster's view and announces them again: bob is online on n1
            // again, and alice is told.
            eventually(() -> assertThat(await(a.whoIsOnline(bob)).getFirst().online()).isTrue());
            eventually(() -> assertThat(aliceEvents.presence.getLast().online()).isTrue());
        }
    }

    /** A node of {@code nodes}' cluster that reaches NATS through {@code proxy}. */
    private TestServer startThrough(Nodes nodes, dev.fastchat.testkit.TcpProxy proxy, String nodeId) {
        Map<String, String> settings = new HashMap<>(Map.of("db", postgres.url(), "nats", "nats://127.0.0.1:" + proxy.port(),
                "cluster", nodes.cluster, "node-id", nodeId, "node-timeout", "3s", "send-rate", "100000", "send-burst", "100000"));
        TestServer node = TestServer.start(dir.resolve(nodeId), settings);
        nodes.servers.add(node);
        return node;
    }

    /** An HTTP GET: the status and the body, stripped ({@code 200 ready}). */
    static String get(String url) throws Exception {
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            java.net.http.HttpResponse<String> response = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            return response.statusCode() + " " + response.body().strip();
        }
    }

    @Test
    void aNodeShuttingDownSendsItsClientsToAnotherNodeAndReportsNotReady() throws Exception {
        try (Nodes nodes = new Nodes()) {
            TestServer n1 = nodes.start("n1", "none");
            TestServer n2 = nodes.start("n2", "none");
            eventually(() -> assertThat(n1.server().cluster().nodes()).hasSize(2));
            Recorder events = new Recorder();
            ChatClient alice = registered(nodes.client(events, n1), WireClient.uniqueName("alice")); // knows only n1
            ChatClient bob = registered(nodes.client(new Recorder(), n2), WireClient.uniqueName("bob"));
            assertThat(alice.serverInfo().orElseThrow().nodeId()).isEqualTo("n1");
            n1.close(); // graceful: drains, and redirects its clients
            nodes.servers.remove(n1);
            eventually(() -> assertThat(alice.isConnected()).isTrue());
            eventually(() -> assertThat(alice.serverInfo().orElseThrow().nodeId()).isEqualTo("n2"));
            await(bob.send(Target.user(alice.session().orElseThrow().username()), "found you on n2"));
            eventually(() -> assertThat(events.texts()).containsExactly("found you on n2"));
            assertThat(n2.server().cluster().nodes()).extracting(dev.fastchat.protocol.v1.NodeInfo::getNodeId).containsExactly("n2");
        }
    }

    @Test
    void randomPicksLiveNodesAndAClientFallsBackToItsOtherAddressesWhenANodeIsDown() throws Exception {
        try (Nodes nodes = new Nodes()) {
            TestServer n1 = nodes.start("n1", "random");
            TestServer n2 = nodes.start("n2", "random");
            eventually(() -> assertThat(n1.server().cluster().nodes()).hasSize(2));
            List<String> landed = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                ChatClient client = nodes.client(new ChatListener() {}, n1);
                await(client.connect());
                landed.add(client.serverInfo().orElseThrow().nodeId());
            }
            assertThat(landed).containsOnly("n1", "n2").contains("n2"); // all 20 on n1: one chance in a million
            int n2Port = n2.port();
            n2.close();
            nodes.servers.remove(n2);
            ChatClient fallback = nodes.client(new ChatListener() {}, n2, n1); // n2's address first: refused
            await(fallback.connect());
            assertThat(fallback.serverInfo().orElseThrow().nodeId()).isEqualTo("n1");
            assertThat(n2Port).isPositive();
        }
    }
}
