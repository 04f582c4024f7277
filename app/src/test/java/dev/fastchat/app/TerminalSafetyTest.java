package dev.fastchat.app;

import static dev.fastchat.app.CommandLineIT.fastchat;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.crypto.MessageSealer;
import dev.fastchat.protocol.ConversationId;
import dev.fastchat.protocol.v1.Content;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.FileReference;
import dev.fastchat.protocol.v1.KeyLookup;
import dev.fastchat.protocol.v1.Send;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every field another user (or a lying server) controls reaches the terminal escaped: a malicious client
 * sends files whose name, type and id carry ESC, CSI, OSC and C1 bytes, and the server's database is changed
 * behind its back to give a user and a group such names; {@code read}, {@code who} and {@code group list}
 * print none of those bytes raw.
 */
class TerminalSafetyTest {
    /** ESC with CSI (colour), OSC (window title, ended by BEL), and the C1 CSI byte. */
    private static final String HOSTILE = "\u001b[32mOK\u001b]0;pwned\u0007\u009b2J";

    @TempDir
    Path dir;
    private final SecureRandom random = new SecureRandom();

    @Test
    void namesFileNamesAndFileIdsFromOthersNeverReachTheTerminalRaw() throws Exception {
        try (TestServer server = TestServer.start(dir.resolve("data"), Map.of("min-kdf-memory-kib", "8", "min-kdf-iterations", "1"));
             WireClient mallory = WireClient.connect(server.address())) {
            String address = server.address().toString();
            String bob = WireClient.uniqueName("bob");
            // mallory speaks raw frames: the server and bob's commands use plain TCP
            Map<String, String> home = Map.of("XDG_CONFIG_HOME", dir.resolve("config").toString(), "FASTCHAT_INSECURE_PLAINTEXT", "true");
            assertThat(fastchat("pw", home, "register", "--server", address, "--user", bob).exitCode()).isZero();

            IdentityKeyPair malloryKeys = IdentityKeyPair.generate(random);
            mallory.hello();
            String malloryName = WireClient.uniqueName("mallory");
            long malloryId = mallory.register(malloryName, WireClient.random(32), malloryKeys).getSession().getAccountId();
            var bobKeys = mallory.call(Envelope.newBuilder().setKeyLookup(KeyLookup.newBuilder().addUsernames(bob)))
                    .getKeyBundle().getUsers(0);
            String conversation = ConversationId.direct(bobKeys.getAccountId(), malloryId).value();
            List<MessageSealer.Recipient> recipients = List.of(
                    new MessageSealer.Recipient(bobKeys.getAccountId(), 1, bobKeys.getIdentity().getX25519Public().toByteArray()),
                    new MessageSealer.Recipient(malloryId, 1, malloryKeys.publicIdentity().x25519()));
            send(mallory, malloryId, malloryKeys, conversation, "f1", recipients, file("a".repeat(32), "cat" + HOSTILE + ".png"));
            send(mallory, malloryId, malloryKeys, conversation, "f2", recipients, file(HOSTILE, "id.txt"));
            String groupName = WireClient.uniqueName("grp");
            var group = mallory.createGroup(groupName).getGroupInfo();
            mallory.invite(groupName, bob);
            NodeProcess.Run accepted = fastchat(null, home, "group", "accept", "--server", address, "--user", bob, groupName);
            assertThat(accepted.exitCode()).as(accepted.err()).isZero();
            // A second invitation, left open: its group's name and its inviter's name are shown in the list.
            String pendingName = WireClient.uniqueName("pend");
            var pending = mallory.createGroup(pendingName).getGroupInfo();
            mallory.invite(pendingName, bob);
            send(mallory, malloryId, malloryKeys, group.getConversationId(), "g1", recipients,
                    Content.newBuilder().setText("to the group").build());

            try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("data").resolve("fastchat.db"))) {
                execute(db, "UPDATE accounts SET name = ? WHERE id = ?", "mal" + HOSTILE, malloryId);
                execute(db, "UPDATE names SET name = ? WHERE name = ?", "mal" + HOSTILE, malloryName);
                execute(db, "UPDATE chat_groups SET name = ? WHERE id = ?", "grp" + HOSTILE, group.getGroupId());
                execute(db, "UPDATE names SET name = ? WHERE name = ?", "grp" + HOSTILE, groupName);
                execute(db, "UPDATE chat_groups SET name = ? WHERE id = ?", "pnd" + HOSTILE, pending.getGroupId());
                execute(db, "UPDATE names SET name = ? WHERE name = ?", "pnd" + HOSTILE, pendingName);
            }

            NodeProcess.Run read = fastchat(null, home, "read", "--server", address, "--user", bob);
            assertThat(read.exitCode()).as(read.err()).isZero();
            assertNoRawControls(read.out() + read.err());
            assertThat(read.out()).contains("[file] cat\\x{1b}[32mOK\\x{1b}]0;pwned\\x{7}\\x{9b}2J.png").contains("mal\\x{1b}[32mOK")
                    .contains("#grp\\x{1b}[32mOK").contains("to the group");
            // The file whose id is not a file id is not shown at all: nothing to fetch by it.
            assertThat(read.out()).doesNotContain("id.txt");

            NodeProcess.Run who = fastchat(null, home, "who", "--server", address, "--user", bob, "--all");
            assertNoRawControls(who.out() + who.err());
            assertThat(who.out()).contains("mal\\x{1b}[32mOK");
            NodeProcess.Run groups = fastchat(null, home, "group", "list", "--server", address, "--user", bob);
            assertNoRawControls(groups.out() + groups.err());
            assertThat(groups.out()).contains("grp\\x{1b}[32mOK");
            NodeProcess.Run invitations = fastchat(null, home, "group", "invitations", "--server", address, "--user", bob);
            assertNoRawControls(invitations.out() + invitations.err());
            assertThat(invitations.out()).contains("pnd\\x{1b}[32mOK").contains("invited by mal\\x{1b}[32mOK");
            NodeProcess.Run fetch = fetchFile(home, address, bob, HOSTILE);
            assertThat(fetch.exitCode()).as("checked locally").isEqualTo(ExitCodes.USAGE);
            assertNoRawControls(fetch.out() + fetch.err());
        }
    }

    private static NodeProcess.Run fetchFile(Map<String, String> home, String address, String user, String id) throws Exception {
        return fastchat(null, home, "fetch-file", "--server", address, "--user", user, id);
    }

    private static Content file(String id, String name) {
        return Content.newBuilder().setFile(FileReference.newBuilder().setFileId(id).setName(name)
                .setMediaType("image/" + HOSTILE).setSize(3).setKey(ByteString.copyFrom(new byte[32]))
                .setSha256(ByteString.copyFrom(new byte[32]))).build();
    }

    private void send(WireClient client, long senderId, IdentityKeyPair keys, String conversation, String clientMsgId,
                      List<MessageSealer.Recipient> recipients, Content content) {
        byte[] sealed = MessageSealer.seal(new MessageSealer.Sender(senderId, 1, keys), conversation, clientMsgId, Instant.now(),
                content, recipients, random);
        Envelope answer = client.call(Envelope.newBuilder().setSend(Send.newBuilder().setConversationId(conversation)
                .setClientMsgId(clientMsgId).setSealed(ByteString.copyFrom(sealed))));
        assertThat(answer.hasSendAck()).as("the server stores what it cannot open: %s", answer).isTrue();
    }

    private static void assertNoRawControls(String printed) {
        assertThat(printed).doesNotContain("\u001b").doesNotContain("\u0007").doesNotContain("\u009b");
    }

    private static void execute(Connection db, String sql, Object... parameters) throws Exception {
        try (PreparedStatement statement = db.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            statement.executeUpdate();
        }
    }
}
