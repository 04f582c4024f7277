package dev.fastchat.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.fastchat.protocol.ConversationId;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.Send;
import dev.fastchat.server.session.InflightRequests;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that send far more than the node can store, over real sockets, against the real server whose database is held
 * behind its back (another connection keeps SQLite's write lock), so that nothing it accepts is stored meanwhile. Each
 * client sends its whole burst without waiting for an ack. Without a bound over all connections, the node accepts
 * {@code max-inflight-requests} of each (here 16 x 64 sends of 4 KiB: 4.5 MB; with 1,000 clients, over 100 MiB of heap).
 * With it, the node holds at most {@code max-inflight-bytes} and one read of each connection past it.
 */
class OverloadTest {
    private static final int CLIENTS = 16;
    private static final int SENDS_EACH = 64;
    private static final int BODY_BYTES = 4096;
    private static final long MAX_INFLIGHT_BYTES = 64 << 10;

    @TempDir
    Path dir;

    @Test
    void anOverloadedNodeHoldsBoundedRequestsAndStoresEveryOneOnceItCatchesUp() throws Exception {
        List<WireClient> clients = new ArrayList<>();
        try (TestServer server = TestServer.start(dir, Map.of("max-inflight-bytes", Long.toString(MAX_INFLIGHT_BYTES),
                "send-rate", "100000", "send-burst", "100000", "idle-timeout", "3s"));
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            long[] ids = new long[CLIENTS];
            for (int i = 0; i < CLIENTS; i++) {
                WireClient client = server.connect();
                clients.add(client);
                client.hello();
                ids[i] = client.register(WireClient.uniqueName("flood"), WireClient.random(32)).getSession().getAccountId();
            }
            // Client i writes to client i + 1: each burst is one conversation's, each client also gets one burst of pushes.
            // A first message each, acknowledged, makes the conversations and warms the node's caches: the writer's next
            // transaction starts with a write, and so waits for the lock held below instead of failing at once.
            List<byte[]> bursts = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                long to = ids[(i + 1) % CLIENTS];
                String conversation = ConversationId.direct(ids[i], to).value();
                assertThat(clients.get(i).call(send(ids[i], to, conversation, "first-" + i)).getSendAck().getSeq()).isEqualTo(1);
                ByteArrayOutputStream burst = new ByteArrayOutputStream();
                for (int k = 1; k <= SENDS_EACH; k++) {
                    byte[] body = send(ids[i], to, conversation, "m-" + i + "-" + k).setRequestId(k).build().toByteArray();
                    burst.writeBytes(ByteBuffer.allocate(4).putInt(body.length).array());
                    burst.writeBytes(body);
                }
                bursts.add(burst.toByteArray());
            }
            InflightRequests inflight = server.server().inflight();
            try (Connection holder = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("fastchat.db"));
                 Statement lock = holder.createStatement()) {
                lock.execute("BEGIN IMMEDIATE"); // the node's writer waits for this lock (up to its 10 s busy timeout)
                List<CompletableFuture<?>> sending = new ArrayList<>();
                for (int i = 0; i < CLIENTS; i++) {
                    WireClient client = clients.get(i);
                    byte[] burst = bursts.get(i);
                    sending.add(CompletableFuture.runAsync(() -> client.sendRaw(burst), threads));
                }
                // Every client is held once the node holds its bound: what each sent beyond waits in its socket.
                Awaitility.await().atMost(Duration.ofSeconds(4)).until(() -> inflight.heldConnections() == CLIENTS);
                // Held past the idle timeout: a connection the node does not read is not taken for silent and closed (a
                // closed one is held no more), and none is read again while the node still holds its bound.
                Awaitility.await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6))
                        .until(() -> inflight.heldConnections() == CLIENTS);
                lock.execute("ROLLBACK");
                CompletableFuture.allOf(sending.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            }
            // At most the bound, and the request of each connection that took the node past it: what else each one read
            // meanwhile stays bytes, undecoded, until the node reads it again.
            long frameBytes = bursts.getFirst().length / SENDS_EACH;
            assertThat(inflight.peakBytes()).isGreaterThan(MAX_INFLIGHT_BYTES).isLessThanOrEqualTo(MAX_INFLIGHT_BYTES + CLIENTS * frameBytes);
            // Every send is stored and acknowledged, and delivered once (seqs 2 to 65: the first message took seq 1).
            List<CompletableFuture<Void>> reading = new ArrayList<>();
            for (WireClient client : clients) {
                reading.add(CompletableFuture.runAsync(() -> {
                    Set<Long> acked = new HashSet<>();
                    Set<Long> delivered = new HashSet<>();
                    while (acked.size() < SENDS_EACH || delivered.size() < SENDS_EACH) {
                        Envelope envelope = client.read();
                        if (envelope.hasSendAck()) {
                            assertThat(acked.add(envelope.getRequestId())).isTrue();
                        } else if (envelope.hasDeliver() && envelope.getDeliver().getMessage().getSeq() > 1) {
                            assertThat(delivered.add(envelope.getDeliver().getMessage().getSeq())).isTrue();
                        } else {
                            assertThat(envelope.hasError()).as("%s", envelope).isFalse();
                        }
                    }
                    assertThat(acked).allMatch(id -> id >= 1 && id <= SENDS_EACH);
                    assertThat(delivered).allMatch(seq -> seq >= 2 && seq <= SENDS_EACH + 1);
                }, threads));
            }
            CompletableFuture.allOf(reading.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> inflight.bytes() == 0 && inflight.heldConnections() == 0);
        } finally {
            clients.forEach(WireClient::close);
        }
    }

    private static Envelope.Builder send(long from, long to, String conversation, String messageId) {
        return Envelope.newBuilder().setSend(Send.newBuilder().setConversationId(conversation).setClientMsgId(messageId)
                .setSealed(ByteString.copyFrom(WireClient.sealed(from, conversation, messageId, BODY_BYTES, from, to))));
    }
}
