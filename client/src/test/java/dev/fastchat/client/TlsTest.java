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
        server = TestServer.start(dir.resolve("data"), Map.of("insecure-plaintext", "false",
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
        try (TestServer wrongName = TestServer.start(dir.resolve("data2"), Map.of("insecure-plaintext", "false",
                "tls-cert", elsewhere.certificate().toString(), "tls-key", elsewhere.privateKey().toString()));
             ChatClient client = ChatClient.builder().server("127.0.0.1", wrongName.port()).keyStoreDirectory(dir.resolve("k2"))
                     .serverCertificate(elsewhere.certificate()).build()) {
            assertTlsRefused(client.connect());
        }
    }

    @Test
    void plainClientGetsNothingFromATlsServer() throws Exception {
        try (ChatClient client = builder("127.0.0.1").insecurePlaintext(true).build()) {
            CompletableFuture<ServerInfo> connect = client.connect();
            assertThat(ChatClientTest.codeOf(connect)).isEqualTo(ErrorCode.UNAVAILABLE);
        }
    }

    @Test
    void aNewServerServesTlsWithItsOwnCertificateWhichClientsPinOnFirstUseAndCheckEveryTimeAfter() throws Exception {
        Path data = dir.resolve("default-data");
        Path keys = dir.resolve("default-keys");
        String name = WireClient.uniqueName("tofu");
        String fingerprint;
        int port;
        try (TestServer fresh = TestServer.start(data, Map.of("insecure-plaintext", "false"))) {
            port = fresh.port();
            Path certificate = data.resolve("tls").resolve("server.crt");
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                    java.nio.file.Files.getPosixFilePermissions(data.resolve("tls").resolve("server.key")))).isEqualTo("rw-------");
            try (var in = java.nio.file.Files.newInputStream(certificate)) {
                fingerprint = dev.fastchat.protocol.CertificateFingerprint.of(java.security.cert.CertificateFactory.getInstance("X.509")
                        .generateCertificate(in).getEncoded());
            }
            try (ChatClient client = tofu(port, keys)) {
                ServerInfo first = client.connect().get(30, TimeUnit.SECONDS);
                assertThat(first.certificateFingerprint()).isEqualTo(fingerprint);
                assertThat(first.certificatePinnedNow()).isTrue();
                client.register(name, "pw".toCharArray()).get(30, TimeUnit.SECONDS);
            }
            try (ChatClient client = tofu(port, keys)) {
                assertThat(client.connect().get(30, TimeUnit.SECONDS).certificatePinnedNow()).isFalse();
            }
        }
        // Restarted on the same data directory: the same certificate, still trusted.
        try (TestServer again = TestServer.start(data, Map.of("insecure-plaintext", "false", "listen", "127.0.0.1:" + port));
             ChatClient client = tofu(port, keys)) {
            assertThat(client.connect().get(30, TimeUnit.SECONDS).certificateFingerprint()).isEqualTo(fingerprint);
            assertThat(client.login(name, "pw".toCharArray()).get(30, TimeUnit.SECONDS).username()).isEqualTo(name);
        }
    }

    @Test
    void aServerShowingAnotherCertificateThanThePinnedOneIsRefusedLoudly() throws Exception {
        // The network attacker: at the address the client knows, a server with a certificate of its own.
        Path keys = dir.resolve("mitm-keys");
        try (TestServer genuine = TestServer.start(dir.resolve("genuine-data"), Map.of("insecure-plaintext", "false"))) {
            try (ChatClient client = tofu(genuine.port(), keys)) {
                client.connect().get(30, TimeUnit.SECONDS);
            }
            int port = genuine.port();
            genuine.close();
            try (TestServer impostor = TestServer.start(dir.resolve("impostor-data"), Map.of("insecure-plaintext", "false",
                    "listen", "127.0.0.1:" + port));
                 ChatClient client = tofu(port, keys)) {
                CompletableFuture<ServerInfo> connect = client.connect();
                assertThat(ChatClientTest.codeOf(connect)).isEqualTo(ErrorCode.UNTRUSTED_SERVER);
                assertThat(connect.handle((info, failure) -> failure.getCause().getMessage()).join())
                        .contains("WARNING", "another TLS certificate", "known_servers");
            }
        }
    }

    private static ChatClient tofu(int port, Path keys) {
        return ChatClient.builder().server("127.0.0.1", port).keyStoreDirectory(keys)
                .registrationKdf(KdfParams.INSECURE_FOR_TESTS).requestTimeout(java.time.Duration.ofSeconds(5)).build();
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
