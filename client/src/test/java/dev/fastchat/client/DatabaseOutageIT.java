package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static dev.fastchat.client.ChatClientTest.codeOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.crypto.KdfParams;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import dev.fastchat.testkit.PostgresExtension;
import dev.fastchat.testkit.TcpProxy;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A server on PostgreSQL whose database goes away and comes back: clear errors, the server stays up, then recovers. */
class DatabaseOutageIT {
    @RegisterExtension
    static final PostgresExtension postgres = new PostgresExtension();

    @TempDir
    Path dir;

    @Test
    void postgresStoppedGivesUnavailableAndTheServerRecoversWhenItReturns() throws Exception {
        try (TcpProxy proxy = proxyToPostgres()) {
            String url = throughProxy(proxy);
            try (TestServer server = TestServer.start(dir, Map.of("db", url, "admin-listen", "127.0.0.1:0"));
                 ChatClient alice = client(server, "a");
                 ChatClient bob = client(server, "b")) {
                String aliceName = WireClient.uniqueName("alice");
                await(alice.connect());
                await(alice.register(aliceName, "pw".toCharArray()));

                String admin = "http://" + server.server().adminAddress().orElseThrow();
                assertThat(ClusterIT.get(admin + "/ready")).isEqualTo("200 ready");
                proxy.cut();
                assertThat(ClusterIT.get(admin + "/ready")).isEqualTo("503 not ready: the database is unreachable");
                assertThat(ClusterIT.get(admin + "/metrics")).contains("fastchat_database_up 0.0");
                await(bob.connect()); // the server itself is up
                assertThat(codeOf(bob.register(WireClient.uniqueName("bob"), "pw".toCharArray()))).isEqualTo(ErrorCode.UNAVAILABLE);
                assertThat(codeOf(bob.login(aliceName, "pw".toCharArray()))).isEqualTo(ErrorCode.UNAVAILABLE);

                proxy.restore();
                assertThat(await(bob.login(aliceName, "pw".toCharArray())).username()).isEqualTo(aliceName);
                assertThat(ClusterIT.get(admin + "/ready")).isEqualTo("200 ready");
                String bobName = WireClient.uniqueName("bob");
                try (ChatClient again = client(server, "c")) {
                    await(again.connect());
                    assertThat(await(again.register(bobName, "pw".toCharArray())).username()).isEqualTo(bobName);
                }
            }
        }
    }

    /**
     * A steady trickle of sends through a PostgreSQL outage: refused with UNAVAILABLE while the database is
     * away, acknowledged again within 2 s of its return.
     */
    @Test
    void acksResumeWithinTwoSecondsOfTheDatabaseComingBack() throws Exception {
        try (TcpProxy proxy = proxyToPostgres()) {
            String url = throughProxy(proxy);
            try (TestServer server = TestServer.start(dir, Map.of("db", url));
                 ChatClient alice = client(server, "pa");
                 ChatClient bob = client(server, "pb")) {
                await(alice.connect());
                await(alice.register(WireClient.uniqueName("alice"), "pw".toCharArray()));
                String bobName = WireClient.uniqueName("bob");
                await(bob.connect());
                await(bob.register(bobName, "pw".toCharArray()));
                Target toBob = Target.user(bobName);
                await(alice.send(toBob, "before"));

                proxy.cut();
                long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(12);
                int refused = 0;
                while (System.nanoTime() < deadline) { // bounded: twelve seconds of sends while the database is away
                    try {
                        await(alice.send(toBob, "during"));
                    } catch (java.util.concurrent.ExecutionException e) {
                        refused++;
                    }
                    Thread.sleep(50);
                }
                assertThat(refused).isPositive();
                proxy.restore();
                long back = System.nanoTime();
                // One send every 50 ms until one is acked (bounded: the assertion below wants it within 2 s).
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).pollDelay(java.time.Duration.ZERO)
                        .pollInterval(java.time.Duration.ofMillis(50))
                        .until(() -> {
                            try {
                                await(alice.send(toBob, "after"));
                                return true;
                            } catch (java.util.concurrent.ExecutionException e) {
                                return false;
                            }
                        });
                long ackedAfter = System.nanoTime() - back;
                System.out.printf("database back: first ack after %d ms%n", ackedAfter / 1_000_000);
                assertThat(ackedAfter).isBetween(0L, java.util.concurrent.TimeUnit.SECONDS.toNanos(2));
            }
        }
    }

    /** A proxy in front of the test's PostgreSQL, to cut and restore. */
    private static TcpProxy proxyToPostgres() throws java.io.IOException {
        URI target = postgresUri();
        return new TcpProxy(target.getHost(), target.getPort() < 0 ? 5432 : target.getPort());
    }

    /** The JDBC URL of the test's schema reached through {@code proxy}. */
    private static String throughProxy(TcpProxy proxy) {
        URI target = postgresUri();
        return PostgresExtension.withSchema("jdbc:postgresql://127.0.0.1:" + proxy.port() + target.getRawPath()
                + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery()), postgres.schema());
    }

    private static URI postgresUri() {
        return URI.create(postgres.baseUrl().substring("jdbc:".length()));
    }

    static ChatClient client(TestServer server, String keys) {
        return ChatClient.builder().insecurePlaintext(true).server("127.0.0.1", server.port())
                .keyStoreDirectory(Path.of(System.getProperty("java.io.tmpdir"), "fastchat-outage-keys", keys))
                .registrationKdf(KdfParams.INSECURE_FOR_TESTS).build();
    }
}
