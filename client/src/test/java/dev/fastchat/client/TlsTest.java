package dev.fastchat.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.crypto.KdfParams;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS on the client port: the client verifies the server and refuses a mismatch. */
class TlsTest {
    @TempDir
    static Path dir;
    static TestServer server;
    static TestCertificates.Pem serverCert;

    @BeforeAll
    static void start() throws Exception {
        serverCert = TestCertificates.selfSigned(dir, "server", "127.0.0.1", "localhost");
        server = TestServer.start(dir.resolve("data"), Map.of(
                "tls-cert", serverCert.certificate().toString(),
                "tls-key", serverCert.privateKey().toString()));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static ChatClient.Builder builder(String host) {
        return ChatClient.builder().server(host, server.port()).keyStoreDirectory(dir.resolve("keys"))
                .registrationKdf(KdfParams.INSECURE_FOR_TESTS).requestTimeout(java.time.Duration.ofSeconds(5));
    }

    @Test
    void clientTrustingTheServerCertificateRegistersAndLogsIn() throws Exception {
        String name = WireClient.uniqueName("tls");
        try (ChatClient client = builder("127.0.0.1").serverCertificate(serverCert.certificate()).build()) {
            client.connect().get(30, TimeUnit.SECONDS);
            client.register(name, "pw".toCharArray()).get(30, TimeUnit.SECONDS);
        }
        try (ChatClient client = builder("localhost").serverCertificate(serverCert.certificate()).build()) {
            client.connect().get(30, TimeUnit.SECONDS);
            assertThat(client.login(name, "pw".toCharArray()).get(30, TimeUnit.SECONDS).username()).isEqualTo(name);
        }
    }

    @Test
    void anotherCertificateIsRefused() throws Exception {
        TestCertificates.Pem other = TestCertificates.selfSigned(dir, "impostor", "127.0.0.1");
        try (ChatClient client = builder("127.0.0.1").serverCertificate(other.certificate()).build()) {
            assertTlsRefused(client.connect());
        }
    }

    @Test
    void systemTrustStoreRefusesASelfSignedServer() throws Exception {
        try (ChatClient client = builder("127.0.0.1").tls(true).build()) {
            assertTlsRefused(client.connect());
        }
    }

    @Test
    void certificateForAnotherHostIsRefused() throws Exception {
        TestCertificates.Pem elsewhere = TestCertificates.selfSigned(dir, "elsewhere", "chat.example.org");
        try (TestServer wrongName = TestServer.start(dir.resolve("data2"), Map.of(
                "tls-cert", elsewhere.certificate().toString(), "tls-key", elsewhere.privateKey().toString()));
             ChatClient client = ChatClient.builder().server("127.0.0.1", wrongName.port()).keyStoreDirectory(dir.resolve("k2"))
                     .serverCertificate(elsewhere.certificate()).build()) {
            assertTlsRefused(client.connect());
        }
    }

    @Test
    void plainClientGetsNothingFromATlsServer() throws Exception {
        try (ChatClient client = builder("127.0.0.1").build()) {
            CompletableFuture<ServerInfo> connect = client.connect();
            assertThat(ChatClientTest.codeOf(connect)).isEqualTo(ErrorCode.UNAVAILABLE);
        }
    }

    private static void assertTlsRefused(CompletableFuture<ServerInfo> connect) {
        assertThat(ChatClientTest.codeOf(connect)).isEqualTo(ErrorCode.UNAVAILABLE);
        try {
            connect.join();
        } catch (java.util.concurrent.CompletionException e) {
            assertThat(e.getCause().getMessage()).contains("TLS");
        }
    }
}
