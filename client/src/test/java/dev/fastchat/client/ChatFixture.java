package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;

import dev.fastchat.crypto.KdfParams;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real server on an ephemeral port, per test class, and users of the client library on it, each with a
 * listener that records what it is told. Register it with {@code @RegisterExtension} as a static field. Key
 * stores live under the fixture's directory: one per user and device, so that logging in again on the same
 * device keeps its pinned keys.
 */
final class ChatFixture implements BeforeAllCallback, AfterAllCallback {
    private final Map<String, String> settings;
    private Path dir;
    private TestServer server;

    /** A server with a high send rate (some tests send hundreds of messages at once; the limit has its own test). */
    ChatFixture() {
        this(Map.of());
    }

    /** The same, with these settings on top. */
    ChatFixture(Map<String, String> overrides) {
        settings = new HashMap<>(Map.of("send-rate", "100000", "send-burst", "100000"));
        settings.putAll(overrides);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("fastchat-" + context.getRequiredTestClass().getSimpleName());
        server = TestServer.start(dir.resolve("server"), settings);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        server.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    /** A directory of this test class's own (removed afterwards). */
    Path dir() {
        return dir;
    }

    TestServer server() {
        return server;
    }

    /** The server's SQLite database file. */
    Path databaseFile() {
        return dir.resolve("server").resolve("fastchat.db");
    }

    /**
     * Changes the server's database behind its back, as a malicious operator would: runs {@code sql} with
     * {@code parameters} on the SQLite file the running server uses.
     */
    void alterDatabase(String sql, Object... parameters) throws java.sql.SQLException {
        try (java.sql.Connection db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + databaseFile());
             java.sql.PreparedStatement statement = prepare(db, sql, parameters)) {
            statement.execute();
        }
        server.server().database().forgetCachedState(); // as an operator who edits the database restarts the server
    }

    /**
     * Makes the server's key directory hand out new identity keys (key id 2) for {@code accountId}, as an
     * operator swapping a user's keys would; returns them (the operator holds their private halves).
     */
    dev.fastchat.crypto.IdentityKeyPair serveOtherKeys(long accountId) throws java.sql.SQLException {
        dev.fastchat.crypto.IdentityKeyPair impostor = dev.fastchat.crypto.IdentityKeyPair.generate(new java.security.SecureRandom());
        alterDatabase("INSERT INTO identity_keys (account_id, key_id, x25519_public, ed25519_public, created_at) VALUES (?, 2, ?, ?, 0)",
                accountId, impostor.publicIdentity().x25519(), impostor.publicIdentity().ed25519());
        return impostor;
    }

    /** The columns of the one row {@code sql} finds in the running server's database (which must find one). */
    Object[] readDatabase(String sql, Object... parameters) throws java.sql.SQLException {
        try (java.sql.Connection db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + databaseFile());
             java.sql.PreparedStatement statement = prepare(db, sql, parameters);
             java.sql.ResultSet row = statement.executeQuery()) {
            org.assertj.core.api.Assertions.assertThat(row.next()).as("a row for %s", sql).isTrue();
            Object[] columns = new Object[row.getMetaData().getColumnCount()];
            for (int i = 0; i < columns.length; i++) {
                columns[i] = row.getObject(i + 1);
            }
            return columns;
        }
    }

    private static java.sql.PreparedStatement prepare(java.sql.Connection db, String sql, Object... parameters)
            throws java.sql.SQLException {
        java.sql.PreparedStatement statement = db.prepareStatement(sql);
        for (int i = 0; i < parameters.length; i++) {
            statement.setObject(i + 1, parameters[i]);
        }
        return statement;
    }

    /** A logged-in user with a recording listener. */
    record User(String name, ChatClient client, Recorder events) implements AutoCloseable {
        @Override
        public void close() {
            client.close();
        }
    }

    static class Recorder implements ChatListener {
        final List<ChatMessage> messages = new CopyOnWriteArrayList<>();
        final List<String> rejected = new CopyOnWriteArrayList<>();
        final List<UserPresence> presence = new CopyOnWriteArrayList<>();
        final List<MembershipEvent> membership = new CopyOnWriteArrayList<>();
        final List<Long> deleted = new CopyOnWriteArrayList<>();
        final List<String> typing = new CopyOnWriteArrayList<>();
        final List<String> receipts = new CopyOnWriteArrayList<>();

        @Override
        public void message(ChatMessage message) {
            messages.add(message);
        }

        @Override
        public void rejected(String conversationId, long seq, String reason) {
            rejected.add(reason);
        }

        @Override
        public void typing(String conversationId, String sender, boolean isTyping) {
            typing.add(sender + (isTyping ? " is typing" : " stopped"));
        }

        @Override
        public void receipt(String conversationId, String member, boolean read, long upToSeq) {
            receipts.add(member + (read ? " read " : " got ") + upToSeq);
        }

        @Override
        public void deleted(String conversationId, long senderId, List<Long> seqs) {
            deleted.addAll(seqs);
        }

        @Override
        public void presence(UserPresence change) {
            presence.add(change);
        }

        @Override
        public void membership(MembershipEvent event) {
            membership.add(event);
        }

        List<String> texts() {
            return messages.stream().map(ChatMessage::text).toList();
        }
    }

    ChatClient client(Path keys, ChatListener listener) {
        return builder(keys, listener).build();
    }

    /** A client of this fixture's server, to be built after further settings. */
    ChatClient.Builder builder(Path keys, ChatListener listener) {
        return ChatClient.builder().insecurePlaintext(true).server("127.0.0.1", server.port()).keyStoreDirectory(keys)
                .registrationKdf(KdfParams.INSECURE_FOR_TESTS).listener(listener);
    }

    /** Registers a new user (a unique name starting with {@code prefix}) on its first device. */
    User register(String prefix) throws Exception {
        return registerAs(WireClient.uniqueName(prefix));
    }

    /** Registers {@code name} exactly, on its first device. */
    User registerAs(String name) throws Exception {
        Recorder recorder = new Recorder();
        ChatClient client = client(keys(name, "first"), recorder);
        await(client.connect());
        await(client.register(name, "pw".toCharArray()));
        return new User(name, client, recorder);
    }

    /** Logs {@code name} in on {@code device} ("first" is the device it registered on). */
    User login(String name, String device) throws Exception {
        Recorder recorder = new Recorder();
        ChatClient client = client(keys(name, device), recorder);
        await(client.connect());
        await(client.login(name, "pw".toCharArray()));
        return new User(name, client, recorder);
    }

    /** The key store of {@code name} on {@code device} ("first" is the device it registered on). */
    Path keys(String name, String device) {
        return dir.resolve("keys-" + name + "-" + device);
    }

    static void eventually(org.awaitility.core.ThrowingRunnable assertion) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).untilAsserted(assertion);
    }
}
