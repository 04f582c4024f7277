package dev.fastchat.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fastchat.crypto.KdfParams;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client library against a real server on SQLite. */
class ChatClientTest {
    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir.resolve("server"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static ChatClient client(Path keys) {
        return ChatClient.builder().insecurePlaintext(true)
                .server("127.0.0.1", server.port())
                .keyStoreDirectory(keys)
                .registrationKdf(KdfParams.INSECURE_FOR_TESTS)
                .clientName("test-client")
                .build();
    }

    static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }

    static ErrorCode codeOf(CompletableFuture<?> future) {
        try {
            future.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(ChatException.class);
            return ((ChatException) e.getCause()).code();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected a failure");
    }

    @Test
    void registerThenLogInOnAnotherMachineRestoresTheSameIdentity() throws Exception {
        String name = WireClient.uniqueName("alice");
        char[] password = "correct horse battery staple".toCharArray();
        SessionInfo first;
        try (ChatClient laptop = client(dir.resolve("laptop"))) {
            ServerInfo info = await(laptop.connect());
            assertThat(info.serverId()).isEqualTo(server.server().serverId());
            assertThat(info.maxInflightRequests()).isEqualTo(64); // the server's limit, which the client stays under
            assertThat(info.certificateFingerprint()).isEmpty(); // a plain-TCP test server
            first = await(laptop.register(name, password));
            assertThat(first.username()).isEqualTo(name);
            assertThat(laptop.identity()).isPresent();
            Path keyFile = laptop.keyStoreFile(name);
            assertThat(Files.getPosixFilePermissions(keyFile)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(Files.getPosixFilePermissions(keyFile.getParent())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        }
        try (ChatClient laptop = client(dir.resolve("laptop")); ChatClient phone = client(dir.resolve("phone"))) {
            await(laptop.connect());
            await(phone.connect());
            await(laptop.login(name, password));
            SessionInfo second = await(phone.login(name.toUpperCase(java.util.Locale.ROOT), password));
            assertThat(second.accountId()).isEqualTo(first.accountId());
            assertThat(phone.identity()).isEqualTo(laptop.identity());
            assertThat(Files.exists(phone.keyStoreFile(name))).isTrue();
        }
    }

    @Test
    void wrongPasswordAndUnknownUserAreWrongCredentials() throws Exception {
        String name = WireClient.uniqueName("bob");
        try (ChatClient client = client(dir.resolve("bob"))) {
            await(client.connect());
            await(client.register(name, "right".toCharArray()));
        }
        try (ChatClient client = client(dir.resolve("bob2"))) {
            await(client.connect());
            assertThat(codeOf(client.login(name, "wrong".toCharArray()))).isEqualTo(ErrorCode.WRONG_CREDENTIALS);
            assertThat(codeOf(client.login("nobody-" + name, "x".toCharArray()))).isEqualTo(ErrorCode.WRONG_CREDENTIALS);
            assertThat(client.session()).isEmpty();
        }
    }

    @Test
    void invalidAndTakenNamesFailWithTheirCodes() throws Exception {
        String name = WireClient.uniqueName("carol");
        try (ChatClient client = client(dir.resolve("carol"))) {
            await(client.connect());
            assertThat(codeOf(client.register("no spaces allowed", "pw".toCharArray()))).isEqualTo(ErrorCode.INVALID_NAME);
            await(client.register(name, "pw".toCharArray()));
        }
        try (ChatClient client = client(dir.resolve("carol2"))) {
            await(client.connect());
            assertThat(codeOf(client.register(name, "pw".toCharArray()))).isEqualTo(ErrorCode.ACCOUNT_EXISTS);
        }
    }

    @Test
    void resumeWorksUntilLogout() throws Exception {
        String name = WireClient.uniqueName("dave");
        String token;
        try (ChatClient client = client(dir.resolve("dave"))) {
            await(client.connect());
            token = await(client.register(name, "pw".toCharArray())).resumeToken();
        }
        try (ChatClient client = client(dir.resolve("dave"))) {
            await(client.connect());
            assertThat(await(client.resume(token)).username()).isEqualTo(name);
            await(client.logout());
            assertThat(client.session()).isEmpty();
        }
        try (ChatClient client = client(dir.resolve("dave"))) {
            await(client.connect());
            assertThat(codeOf(client.resume(token))).isEqualTo(ErrorCode.UNAUTHENTICATED);
        }
    }

    @Test
    void resumeOnAMachineWithoutTheKeysAsksForThePassword() throws Exception {
        String name = WireClient.uniqueName("erin");
        String token;
        try (ChatClient client = client(dir.resolve("erin"))) {
            await(client.connect());
            token = await(client.register(name, "pw".toCharArray())).resumeToken();
        }
        try (ChatClient client = client(dir.resolve("elsewhere"))) {
            await(client.connect());
            ChatException e = (ChatException) org.assertj.core.api.Assertions.catchThrowableOfType(ExecutionException.class,
                    () -> client.resume(token).get(30, TimeUnit.SECONDS)).getCause();
            assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
            assertThat(e.getMessage()).contains("log in with the password");
        }
    }

    @Test
    void connectingToANodeThatIsDownFailsWithUnavailable() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (ChatClient client = ChatClient.builder().insecurePlaintext(true).server("127.0.0.1", closedPort).keyStoreDirectory(dir).build()) {
            CompletableFuture<ServerInfo> connect = client.connect();
            assertThat(codeOf(connect)).isEqualTo(ErrorCode.UNAVAILABLE);
            assertThatThrownBy(connect::join).hasMessageContaining("connection refused");
        }
    }

    @Test
    void operationsBeforeConnectFailTheirFutureInsteadOfThrowing() {
        try (ChatClient client = client(dir.resolve("none"))) {
            assertThat(codeOf(client.login("alice", "pw".toCharArray()))).isEqualTo(ErrorCode.UNAVAILABLE);
            assertThat(codeOf(client.register("alice", "pw".toCharArray()))).isEqualTo(ErrorCode.UNAVAILABLE);
        }
    }

    @Test
    void serverShutdownIsReportedToTheListenerAndFailsLaterRequests(@TempDir Path own) throws Exception {
        CompletableFuture<String> disconnected = new CompletableFuture<>();
        try (TestServer doomed = TestServer.start(own.resolve("server"));
             ChatClient client = ChatClient.builder().insecurePlaintext(true).server("127.0.0.1", doomed.port()).keyStoreDirectory(own.resolve("keys"))
                     .registrationKdf(KdfParams.INSECURE_FOR_TESTS)
                     .listener(new ChatListener() {
                         @Override
                         public void disconnected(String reason) {
                             disconnected.complete(reason);
                         }
                     }).build()) {
            await(client.connect());
            await(client.register(WireClient.uniqueName("frank"), "pw".toCharArray()));
            doomed.close();
            assertThat(disconnected.get(10, TimeUnit.SECONDS)).contains("shutting down");
            assertThat(client.isConnected()).isFalse();
            assertThat(codeOf(client.logout())).isEqualTo(ErrorCode.UNAVAILABLE);
        }
    }
    @Test
    void aPasswordTypedAfterTheServersLogInDeadlineStillLogsIn(@TempDir Path own) throws Exception {
        try (TestServer strict = TestServer.start(own.resolve("server"), java.util.Map.of("login-timeout", "1s"))) {
            String name = WireClient.uniqueName("slowtypist");
            for (boolean register : new boolean[] {true, false}) {
                try (ChatClient client = ChatClient.builder().insecurePlaintext(true).server("127.0.0.1", strict.port())
                        .keyStoreDirectory(own.resolve("keys")).registrationKdf(KdfParams.INSECURE_FOR_TESTS).build()) {
                    await(client.connect());
                    // The user types the password; meanwhile the server closes the connection, not logged in.
                    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> !client.isConnected());
                    SessionInfo session = await(register ? client.register(name, "pw".toCharArray())
                            : client.login(name, "pw".toCharArray()));
                    assertThat(session.username()).isEqualTo(name);
                    assertThat(client.isConnected()).isTrue();
                }
            }
        }
    }
}
