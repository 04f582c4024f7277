package dev.fastchat.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.crypto.MessageSealer;
import dev.fastchat.protocol.v1.BlockUser;
import dev.fastchat.protocol.v1.Content;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.ListBlocked;
import dev.fastchat.protocol.v1.Send;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A harasser over real sockets (a raw protocol client, sealing its messages as the server checks them)
 * against a user who blocked them: no direct message and no group addition gets through, other users are
 * not affected, and unblocking lets them back.
 */
class BlockingWireTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    /** A user with real identity keys, so that its messages are sealed as the server checks them. */
    record User(WireClient wire, String name, long id, IdentityKeyPair keys) {}

    @Test
    void aBlockedUserCanNeitherMessageNorAddTheVictimUntilUnblocked() {
        try (TestServer server = TestServer.start(dir)) {
            User victim = register(server, "victim");
            User harasser = register(server, "harasser");
            User friend = register(server, "friend");
            try {
                assertThat(dm(harasser, victim).hasSendAck()).isTrue();

                assertThat(victim.wire().call(block(harasser.name(), false)).hasOk()).isTrue();
                assertThat(victim.wire().call(block(harasser.name(), false)).hasOk()).isTrue(); // twice is not an error
                assertThat(victim.wire().call(Envelope.newBuilder().setListBlocked(ListBlocked.getDefaultInstance()))
                        .getBlockedUsers().getUsernamesList()).containsExactly(harasser.name());

                Envelope refused = dm(harasser, victim);
                assertThat(refused.getError().getCode()).isEqualTo(ErrorCode.BLOCKED);
                assertThat(refused.getError().getReason()).isEqualTo("this user does not accept messages from you");

                String group = WireClient.uniqueName("trap");
                assertThat(harasser.wire().createGroup(group).hasGroupInfo()).isTrue();
                Envelope notAdded = harasser.wire().invite(group, victim.name());
                assertThat(notAdded.getError().getCode()).isEqualTo(ErrorCode.BLOCKED);
                assertThat(notAdded.getError().getReason()).isEqualTo("this user does not accept group invitations from you");
                assertThat(harasser.wire().invite(group, friend.name()).hasGroupInfo()).isTrue();

                // Everyone else is unaffected, the victim included: they write to others, and others to them.
                assertThat(dm(friend, victim).hasSendAck()).isTrue();
                assertThat(dm(victim, friend).hasSendAck()).isTrue();

                assertThat(victim.wire().call(block(harasser.name(), true)).hasOk()).isTrue();
                assertThat(victim.wire().call(Envelope.newBuilder().setListBlocked(ListBlocked.getDefaultInstance()))
                        .getBlockedUsers().getUsernamesList()).isEmpty();
                assertThat(dm(harasser, victim).hasSendAck()).isTrue();
                assertThat(harasser.wire().invite(group, victim.name()).hasGroupInfo()).isTrue();

                assertThat(victim.wire().call(block(victim.name(), false)).getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
                assertThat(victim.wire().call(block(WireClient.uniqueName("nobody"), false)).getError().getCode())
                        .isEqualTo(ErrorCode.UNKNOWN_USER);
            } finally {
                victim.wire().close();
                harasser.wire().close();
                friend.wire().close();
            }
        }
    }

    private static User register(TestServer server, String prefix) {
        IdentityKeyPair keys = IdentityKeyPair.generate(RANDOM);
        String name = WireClient.uniqueName(prefix);
        WireClient wire = server.connect();
        wire.hello();
        long id = wire.register(name, WireClient.random(32), keys)
                .getSession().getAccountId();
        return new User(wire, name, id, keys);
    }

    /** A direct message from {@code from} to {@code to}, sealed for both. */
    private static Envelope dm(User from, User to) {
        String conversation = "d:" + Math.min(from.id(), to.id()) + ":" + Math.max(from.id(), to.id());
        String clientMsgId = UUID.randomUUID().toString();
        byte[] sealed = MessageSealer.seal(new MessageSealer.Sender(from.id(), 1, from.keys()), conversation, clientMsgId,
                Instant.now(), Content.newBuilder().setText("hello").build(),
                List.of(new MessageSealer.Recipient(from.id(), 1, from.keys().publicIdentity().x25519()),
                        new MessageSealer.Recipient(to.id(), 1, to.keys().publicIdentity().x25519())), RANDOM);
        return from.wire().call(Envelope.newBuilder().setSend(Send.newBuilder().setConversationId(conversation)
                .setClientMsgId(clientMsgId).setSealed(ByteString.copyFrom(sealed))));
    }

    private static Envelope.Builder block(String name, boolean unblock) {
        return Envelope.newBuilder().setBlockUser(BlockUser.newBuilder().setUsername(name).setUnblock(unblock));
    }
}
