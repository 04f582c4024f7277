package dev.fastchat.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.Ping;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A malicious client over real sockets against what one peer may hold of the server: connections per address
 * and in all, time to log in, frame size before log-in, and replies it does not read. The attacker connects
 * from 127.0.0.2 (127.0.0.1 is exempt in the test servers' settings).
 */
class PeerLimitsTest {
    private static final String ATTACKER = "127.0.0.2";

    @TempDir
    Path dir;

    @Test
    void connectionsOverThePerAddressCapAreRefusedAtOnceAndOtherAddressesStillGetIn() {
        try (TestServer server = TestServer.start(dir, Map.of("max-connections-per-address", "3"))) {
            List<WireClient> held = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    WireClient client = WireClient.connectFrom(server.address(), ATTACKER);
                    held.add(client);
                    assertThat(client.hello().hasWelcome()).isTrue();
                }
                try (WireClient fourth = WireClient.connectFrom(server.address(), ATTACKER)) {
                    Envelope refusal = fourth.read();
                    assertThat(refusal.getError().getCode()).isEqualTo(ErrorCode.UNAVAILABLE);
                    assertThat(refusal.getError().getReason()).isEqualTo("too many connections from 127.0.0.2 (at most 3)");
                    assertThat(fourth.closedByServer()).isTrue();
                }
                try (WireClient exempt = server.connect()) { // 127.0.0.1, another address
                    assertThat(exempt.hello().hasWelcome()).isTrue();
                }
                held.removeFirst().close(); // a closed connection frees its place
                Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).untilAsserted(() -> {
                    try (WireClient again = WireClient.connectFrom(server.address(), ATTACKER)) {
                        assertThat(again.hello().hasWelcome()).isTrue();
                    }
                });
            } finally {
                held.forEach(WireClient::close);
            }
        }
    }

    @Test
    void connectionsOverTheTotalCapAreRefused() {
        try (TestServer server = TestServer.start(dir, Map.of("max-connections", "2"));
             WireClient first = server.connect(); WireClient second = WireClient.connectFrom(server.address(), ATTACKER)) {
            assertThat(first.hello().hasWelcome()).isTrue();
            assertThat(second.hello().hasWelcome()).isTrue();
            try (WireClient third = WireClient.connectFrom(server.address(), "127.0.0.3")) {
                assertThat(third.read().getError().getReason()).startsWith("the server has too many connections (2)");
                assertThat(third.closedByServer()).isTrue();
            }
        }
    }

    @Test
    void aConnectionThatDoesNotLogInInTimeIsClosedAndALoggedInOneStays() {
        try (TestServer server = TestServer.start(dir, Map.of("login-timeout", "1s"));
             WireClient idle = WireClient.connectFrom(server.address(), ATTACKER);
             WireClient user = WireClient.connectFrom(server.address(), ATTACKER)) {
            assertThat(idle.hello().hasWelcome()).isTrue();
            user.hello();
            assertThat(user.register(WireClient.uniqueName("user"), WireClient.random(32)).hasSession()).isTrue();

            Envelope closing = idle.readTimeout(5_000).read();
            assertThat(closing.getError().getCode()).isEqualTo(ErrorCode.UNAUTHENTICATED);
            assertThat(closing.getError().getReason()).isEqualTo("not logged in within 1 s: closing");
            assertThat(idle.closedByServer()).isTrue();
            // Pings do not stand in for a log-in; the logged-in connection is still served after the deadline.
            assertThat(user.call(Envelope.newBuilder().setPing(Ping.getDefaultInstance())).hasPong()).isTrue();
        }
    }

    @Test
    void beforeLogInAFrameOverTheSmallLimitIsRefusedAsSoonAsItsLengthArrives() {
        try (TestServer server = TestServer.start(dir, Map.of("max-login-frame-bytes", "2048"));
             WireClient attacker = WireClient.connectFrom(server.address(), ATTACKER);
             WireClient user = WireClient.connectFrom(server.address(), ATTACKER)) {
            attacker.hello();
            attacker.sendRaw(ByteBuffer.allocate(4 + 100).putInt(1 << 20).array()); // a 1 MiB frame, barely begun
            Envelope refusal = attacker.read();
            assertThat(refusal.getError().getCode()).isEqualTo(ErrorCode.TOO_LARGE);
            assertThat(refusal.getError().getReason()).isEqualTo("frame of 1048576 bytes over the limit of 2048 bytes: closing");
            assertThat(attacker.closedByServer()).isTrue();

            // Logged in, the full limit applies: a 100 KiB frame is read (and answered).
            user.hello();
            user.register(WireClient.uniqueName("user"), WireClient.random(32));
            Envelope big = Envelope.newBuilder().setRequestId(user.nextId())
                    .setSend(dev.fastchat.protocol.v1.Send.newBuilder().setConversationId("d:1:2").setClientMsgId("x")
                            .setSealed(com.google.protobuf.ByteString.copyFrom(new byte[100 << 10])))
                    .build();
            user.send(big);
            assertThat(user.read().getError().getCode()).isNotEqualTo(ErrorCode.TOO_LARGE);
            assertThat(user.call(Envelope.newBuilder().setPing(Ping.getDefaultInstance())).hasPong()).isTrue();
        }
    }

    @Test
    void aClientThatDoesNotReadIsPausedWithBoundedRepliesAndThenClosed() throws Exception {
        try (TestServer server = TestServer.start(dir, Map.of("write-buffer-low-bytes", "16384",
                "write-buffer-high-bytes", "65536", "slow-reader-timeout", "2s"));
             WireClient reader = WireClient.connectFrom(server.address(), ATTACKER);
             WireClient attacker = WireClient.connect(server.address(), 4096)) {
            attacker.hello();
            attacker.register(WireClient.uniqueName("sink"), WireClient.random(32));
            // 4 million pings (40 MB), answered with as many pongs, none of them read.
            byte[] body = Envelope.newBuilder().setRequestId(1_000_000L).setPing(Ping.getDefaultInstance()).build().toByteArray();
            ByteBuffer pings = ByteBuffer.allocate(4_000_000 * (4 + body.length));
            while (pings.hasRemaining()) {
                pings.putInt(body.length).put(body);
            }
            byte[] flood = pings.array();
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                try {
                    attacker.sendRaw(flood);
                } catch (java.io.UncheckedIOException closed) {
                    // the server closed it mid-flood: expected
                }
            });
            java.util.concurrent.atomic.AtomicLong mostQueued = new java.util.concurrent.atomic.AtomicLong();
            // Sampled every 10 ms until the flood ends: the server closes the connection, never having read it all.
            Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).pollInterval(java.time.Duration.ofMillis(10)).until(() -> {
                mostQueued.accumulateAndGet(server.server().queuedBytes(), Math::max);
                return sending.isDone();
            });
            sending.get(1, TimeUnit.SECONDS);
            assertThat(attacker.closedByServer()).isTrue();
            // Paused at 64 KiB: what was queued is the watermark and the replies to one read's worth of requests.
            assertThat(mostQueued.get()).isLessThan(4L << 20);
            // What was queued for it is let go with it (its write listeners run on its event loop, soon after).
            Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> server.server().queuedBytes() == 0);
            reader.hello();
            assertThat(reader.call(Envelope.newBuilder().setPing(Ping.getDefaultInstance())).hasPong()).isTrue();
        }
    }
}
