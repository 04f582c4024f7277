package dev.fastchat.server.account;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.GetKdfParams;
import dev.fastchat.protocol.v1.KdfParams;
import dev.fastchat.protocol.v1.Logout;
import dev.fastchat.protocol.v1.Register;
import dev.fastchat.protocol.v1.Resume;
import dev.fastchat.protocol.v1.Session;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Registration, log-in, resume and log-out over real sockets against a SQLite-backed server. */
class AccountFlowTest {
    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir, Map.of("login-delay-first", "300ms", "login-failure-burst-per-address", "1000"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static WireClient greeted() {
        WireClient client = server.connect();
        client.hello();
        return client;
    }

    @Test
    void registerThenLogInFromAnotherConnectionReturnsTheSameKeysAndBackup() {
        String name = WireClient.uniqueName("alice");
        byte[] authKey = WireClient.random(32);
        Session registered;
        try (WireClient client = greeted()) {
            Envelope response = client.register(name, authKey);
            assertThat(response.getBodyCase()).isEqualTo(Envelope.BodyCase.SESSION);
            registered = response.getSession();
            assertThat(registered.getUsername()).isEqualTo(name);
            assertThat(registered.getToken()).hasSizeGreaterThanOrEqualTo(43);
            assertThat(registered.getExpiresAtMs()).isGreaterThan(System.currentTimeMillis());
        }
        try (WireClient client = greeted()) {
            Session loggedIn = client.login(name.toUpperCase(java.util.Locale.ROOT), authKey).getSession();
            assertThat(loggedIn.getAccountId()).isEqualTo(registered.getAccountId());
            assertThat(loggedIn.getUsername()).isEqualTo(name);
            assertThat(loggedIn.getToken()).isNotEqualTo(registered.getToken());
            assertThat(loggedIn.getIdentity()).isEqualTo(registered.getIdentity());
            assertThat(loggedIn.getKeyBackup()).isEqualTo(registered.getKeyBackup());
            assertThat(loggedIn.getKdfParams()).isEqualTo(WireClient.TEST_KDF);
        }
    }

    @Test
    void kdfParamsAreTheAccountsOwnAndDefaultsForUnknownNames() {
        String name = WireClient.uniqueName("kdf");
        try (WireClient client = greeted()) {
            client.register(name, WireClient.random(32));
            KdfParams own = client.call(Envelope.newBuilder().setGetKdfParams(GetKdfParams.newBuilder().setUsername(name))).getKdfParams();
            assertThat(own).isEqualTo(WireClient.TEST_KDF);
            KdfParams unknown = client.call(Envelope.newBuilder().setGetKdfParams(GetKdfParams.newBuilder().setUsername("no-such-user"))).getKdfParams();
            assertThat(unknown).isEqualTo(AccountService.DEFAULT_KDF);
            KdfParams invalid = client.call(Envelope.newBuilder().setGetKdfParams(GetKdfParams.newBuilder().setUsername("bad name"))).getKdfParams();
            assertThat(invalid).isEqualTo(AccountService.DEFAULT_KDF);
        }
    }

    @Test
    void wrongAuthKeyAndUnknownUserGetTheSameWrongCredentials() {
        String name = WireClient.uniqueName("bob");
        try (WireClient client = greeted()) {
            client.register(name, WireClient.random(32));
        }
        try (WireClient client = greeted()) {
            Envelope wrong = client.login(name, WireClient.random(32));
            Envelope unknown = client.login(WireClient.uniqueName("nobody"), WireClient.random(32));
            assertThat(wrong.getError().getCode()).isEqualTo(ErrorCode.WRONG_CREDENTIALS);
            assertThat(unknown.getError()).isEqualTo(wrong.getError());
            String other = WireClient.uniqueName("bob");
            client.register(other, WireClient.random(32)); // (bob's next try from here waits a moment)
            Envelope empty = client.login(other, new byte[0]);
            assertThat(empty.getError().getCode()).isEqualTo(ErrorCode.WRONG_CREDENTIALS);
        }
    }

    @Test
    void aWrongPasswordDelaysTheNextTryFromThereEvenWithTheRightKeyButLocksNothing() {
        String name = WireClient.uniqueName("carol");
        byte[] authKey = WireClient.random(32);
        try (WireClient client = greeted()) {
            client.register(name, authKey);
        }
        try (WireClient client = greeted()) {
            assertThat(client.login(name, WireClient.random(32)).getError().getCode()).isEqualTo(ErrorCode.WRONG_CREDENTIALS);
            Envelope throttled = client.login(name, authKey);
            assertThat(throttled.getError().getCode()).isEqualTo(ErrorCode.RATE_LIMITED);
            assertThat(throttled.getError().getReason()).contains("try again in");
            assertThat(throttled.getError().getRetryAfterMs()).isBetween(1L, 300L);
            // Another account from the same address is not affected.
            client.register(WireClient.uniqueName("dave"), WireClient.random(32));
        }
        // After the wait, the right key works: a delay, not a lockout.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).pollInterval(java.time.Duration.ofMillis(100))
                .until(() -> {
                    try (WireClient client = greeted()) {
                        return client.login(name, authKey).hasSession();
                    }
                });
    }

    @Test
    void invalidNamesAreRefusedWithInvalidName() {
        List<String> names = List.of("al ice", "o'brien", "\"quoted\"", "x'); DROP TABLE accounts; --", "a".repeat(500),
                "ab", "", "_under", "emoji\uD83D\uDE00", "tab\tname", "\u212Aelvin");
        try (WireClient client = greeted()) {
            for (String name : names) {
                Envelope response = client.register(name, WireClient.random(32));
                assertThat(response.getError().getCode()).as(name).isEqualTo(ErrorCode.INVALID_NAME);
                assertThat(response.getError().getReason()).doesNotContain("\t").hasSizeLessThan(200);
            }
        }
    }

    @Test
    void takenNamesAreRefusedWhateverTheirCase() {
        String name = WireClient.uniqueName("erin");
        try (WireClient client = greeted()) {
            assertThat(client.register(name, WireClient.random(32)).hasSession()).isTrue();
            Envelope again = client.register(name.toUpperCase(java.util.Locale.ROOT), WireClient.random(32));
            assertThat(again.getError().getCode()).isEqualTo(ErrorCode.ACCOUNT_EXISTS);
        }
    }

    @Test
    void concurrentRegistrationOfOneNameHasExactlyOneWinner() throws Exception {
        String name = WireClient.uniqueName("race");
        List<CompletableFuture<Envelope>> attempts = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            attempts.add(CompletableFuture.supplyAsync(() -> {
                try (WireClient client = greeted()) {
                    return client.register(name, WireClient.random(32));
                }
            }));
        }
        int sessions = 0;
        for (CompletableFuture<Envelope> attempt : attempts) {
            Envelope response = attempt.get(30, TimeUnit.SECONDS);
            if (response.hasSession()) {
                sessions++;
            } else {
                assertThat(response.getError().getCode()).isEqualTo(ErrorCode.ACCOUNT_EXISTS);
            }
        }
        assertThat(sessions).isEqualTo(1);
    }

    @Test
    void weakKdfAndMalformedKeysAreBadRequests() {
        try (WireClient client = greeted()) {
            Register.Builder valid = Register.newBuilder().setUsername(WireClient.uniqueName("frank"))
                    .setAuthKey(com.google.protobuf.ByteString.copyFrom(WireClient.random(32)))
                    .setKdfParams(WireClient.TEST_KDF.toBuilder().setMemoryKib(4))
                    .setIdentity(dev.fastchat.protocol.v1.IdentityKeys.newBuilder()
                            .setX25519Public(com.google.protobuf.ByteString.copyFrom(WireClient.random(32)))
                            .setEd25519Public(com.google.protobuf.ByteString.copyFrom(WireClient.random(32))))
                    .setKeyBackup(com.google.protobuf.ByteString.copyFrom(WireClient.random(93)));
            Envelope weak = client.call(Envelope.newBuilder().setRegister(valid));
            assertThat(weak.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(weak.getError().getReason()).contains("too weak");
            Envelope shortKey = client.call(Envelope.newBuilder().setRegister(valid.clone().setKdfParams(WireClient.TEST_KDF)
                    .setAuthKey(com.google.protobuf.ByteString.copyFrom(WireClient.random(31)))));
            assertThat(shortKey.getError().getReason()).contains("auth_key must be 32 bytes");
            Envelope noBackup = client.call(Envelope.newBuilder().setRegister(valid.clone().setKdfParams(WireClient.TEST_KDF)
                    .clearKeyBackup()));
            assertThat(noBackup.getError().getReason()).contains("key_backup");
        }
    }

    @Test
    void resumeTokenLogsInUntilLogoutInvalidatesIt() {
        String name = WireClient.uniqueName("gina");
        String token;
        try (WireClient client = greeted()) {
            token = client.register(name, WireClient.random(32)).getSession().getToken();
        }
        try (WireClient client = greeted()) {
            Session resumed = client.call(Envelope.newBuilder().setResume(Resume.newBuilder().setToken(token))).getSession();
            assertThat(resumed.getUsername()).isEqualTo(name);
            assertThat(resumed.getToken()).isEqualTo(token);
            assertThat(client.call(Envelope.newBuilder().setLogout(Logout.getDefaultInstance())).hasOk()).isTrue();
            assertThat(client.call(Envelope.newBuilder().setLogout(Logout.getDefaultInstance())).getError().getCode())
                    .isEqualTo(ErrorCode.UNAUTHENTICATED);
        }
        try (WireClient client = greeted()) {
            Envelope again = client.call(Envelope.newBuilder().setResume(Resume.newBuilder().setToken(token)));
            assertThat(again.getError().getCode()).isEqualTo(ErrorCode.UNAUTHENTICATED);
            Envelope forged = client.call(Envelope.newBuilder().setResume(Resume.newBuilder().setToken("x".repeat(43))));
            assertThat(forged.getError().getCode()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        }
    }

    @Test
    void theDatabaseHoldsNeitherAuthKeysNorTokens() throws Exception {
        String name = WireClient.uniqueName("hank");
        byte[] authKey = WireClient.random(32);
        String token;
        try (WireClient client = greeted()) {
            token = client.register(name, authKey).getSession().getToken();
        }
        byte[] database = Files.readAllBytes(dir.resolve("fastchat.db"));
        byte[] wal = Files.exists(dir.resolve("fastchat.db-wal")) ? Files.readAllBytes(dir.resolve("fastchat.db-wal")) : new byte[0];
        String everything = HexFormat.of().formatHex(database) + HexFormat.of().formatHex(wal);
        assertThat(everything).contains(HexFormat.of().formatHex(name.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        assertThat(everything).doesNotContain(HexFormat.of().formatHex(authKey));
        assertThat(everything).doesNotContain(HexFormat.of().formatHex(token.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }
}
