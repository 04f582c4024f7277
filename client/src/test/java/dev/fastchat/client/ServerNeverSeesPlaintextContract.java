package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.crypto.KdfParams;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Runs a direct and a group conversation through a real server, then reads every row of every table of its
 * database and everything the server logged (at DEBUG), and looks for the plaintexts, the password and the
 * private keys, in every encoding they could have been written in. None may appear.
 */
abstract class ServerNeverSeesPlaintextContract {
    /** The server's settings (database URL among them). */
    protected abstract Map<String, String> serverSettings(Path dir);

    /** A JDBC URL to read the same database. */
    protected abstract String inspectionUrl(Path dir);

    /** The tables to read (every table of the schema). */
    protected abstract List<String> tables(Connection connection) throws Exception;

    @Test
    void neitherTheDatabaseNorTheLogsHoldPlaintextsPasswordsOrPrivateKeys(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level previous = root.getLevel();
        root.setLevel(Level.DEBUG);
        logs.start();
        root.addAppender(logs);
        String password = "hunter2-" + WireClient.uniqueName("pw");
        String directText = "the eagle lands at midnight " + WireClient.uniqueName("dm");
        String groupText = "quarterly numbers are up 42% " + WireClient.uniqueName("grp");
        List<byte[]> secrets = new ArrayList<>();
        try (TestServer server = TestServer.start(dir.resolve("server"), serverSettings(dir))) {
            String alice = WireClient.uniqueName("alice");
            String bob = WireClient.uniqueName("bob");
            try (ChatClient a = client(server, dir.resolve("a")); ChatClient b = client(server, dir.resolve("b"))) {
                await(a.connect());
                await(b.connect());
                await(a.register(alice, password.toCharArray()));
                await(b.register(bob, password.toCharArray()));
                await(a.send(Target.user(bob), directText));
                ChatGroup team = await(a.groups().create(WireClient.uniqueName("team")));
                await(a.groups().add(team.name(), bob));
                await(b.invitations().accept(team.name()));
                await(a.send(Target.group(team.name()), groupText));
                assertThat(await(b.history(Target.user(alice), 0, 10))).extracting(ChatMessage::text).containsExactly(directText);
                assertThat(await(b.history(Target.group(team.name()), 0, 10))).extracting(ChatMessage::text).containsExactly(groupText);
                for (IdentityKeyPair keys : List.of(a.identity().orElseThrow(), b.identity().orElseThrow())) {
                    secrets.add(keys.x25519Private());
                    secrets.add(keys.ed25519Private());
                }
            }
        } finally {
            root.detachAppender(logs);
            root.setLevel(previous);
        }
        List<String> needles = new ArrayList<>(List.of(password, directText, groupText));
        for (byte[] secret : secrets) {
            needles.add(HexFormat.of().formatHex(secret));
            needles.add(java.util.Base64.getEncoder().encodeToString(secret));
        }

        ByteArrayOutputStream everything = new ByteArrayOutputStream();
        int rows = 0;
        try (Connection connection = DriverManager.getConnection(inspectionUrl(dir))) {
            List<String> tables = tables(connection);
            assertThat(tables).contains("messages", "accounts", "identity_keys", "members", "conversations");
            for (String table : tables) {
                try (ResultSet result = connection.createStatement().executeQuery("SELECT * FROM " + table)) {
                    ResultSetMetaData meta = result.getMetaData();
                    while (result.next()) {
                        rows++;
                        for (int column = 1; column <= meta.getColumnCount(); column++) {
                            byte[] value = result.getBytes(column);
                            if (value != null) {
                                everything.write(value);
                                everything.write(0);
                            }
                        }
                    }
                }
            }
        }
        assertThat(rows).isGreaterThan(10);
        byte[] stored = everything.toByteArray();
        for (String needle : needles) {
            assertThat(indexOf(stored, needle.getBytes(StandardCharsets.UTF_8))).as("database holds %s", needle).isEqualTo(-1);
        }
        for (byte[] secret : secrets) {
            assertThat(indexOf(stored, secret)).as("database holds a private key").isEqualTo(-1);
        }
        String logText = String.join("\n", logs.list.stream().map(e -> e.getFormattedMessage()
                + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage())).toList());
        assertThat(logs.list).isNotEmpty();
        for (String needle : needles) {
            assertThat(logText).as("logs").doesNotContain(needle);
        }
    }

    private static ChatClient client(TestServer server, Path keys) {
        return ChatClient.builder().insecurePlaintext(true).server("127.0.0.1", server.port()).keyStoreDirectory(keys)
                .registrationKdf(KdfParams.INSECURE_FOR_TESTS).build();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
