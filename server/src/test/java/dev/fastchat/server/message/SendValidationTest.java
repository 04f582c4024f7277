package dev.fastchat.server.message;

import static dev.fastchat.server.testing.WireClient.sealed;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.fastchat.protocol.ConversationId;
import dev.fastchat.protocol.v1.AnnounceChain;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.History;
import dev.fastchat.protocol.v1.MessageHeader;
import dev.fastchat.protocol.v1.SealedChainKey;
import dev.fastchat.protocol.v1.SealedMessage;
import dev.fastchat.protocol.v1.Send;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the server checks of a send without opening it, over a real socket. The sealed messages here are
 * well-formed protobufs with random "ciphertext": the server must not care, and must refuse what it can see
 * is wrong.
 */
class SendValidationTest {
    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir.resolve("server"), Map.of("send-rate", "5", "send-burst", "5"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    record Account(WireClient client, long id) {}

    static Account register(String prefix) {
        WireClient client = server.connect();
        client.hello();
        Envelope session = client.register(WireClient.uniqueName(prefix), WireClient.random(32));
        return new Account(client, session.getSession().getAccountId());
    }

    static Envelope send(WireClient client, String conversation, String clientMsgId, byte[] sealed) {
        return client.call(Envelope.newBuilder().setSend(Send.newBuilder().setConversationId(conversation)
                .setClientMsgId(clientMsgId).setSealed(ByteString.copyFrom(sealed))));
    }

    @Test
    void anAnnouncementToMoreMembersThanAGroupMayHaveIsRefusedBeforeItsKeysAreRead() {
        Account alice = register("alice");
        Account bob = register("bob");
        String dm = ConversationId.direct(alice.id(), bob.id()).value();
        AnnounceChain.Builder announcement = AnnounceChain.newBuilder().setConversationId(dm)
                .setChainId(ByteString.copyFrom(WireClient.random(16)));
        for (long member = 1; member <= 1_025; member++) { // the default limit of a group is 1,024 members
            announcement.addKeys(SealedChainKey.newBuilder().setAccountId(member)
                    .setSealed(ByteString.copyFrom(sealed(alice.id(), dm, "chain", 16, member))));
        }

        Envelope answer = alice.client().call(Envelope.newBuilder().setAnnounceChain(announcement));

        assertThat(answer.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(answer.getError().getReason()).contains("at most 1024 members");
    }

    @Test
    void forgedHeadersOversizedBodiesAndGarbageAreRefusedAndNothingIsStored() throws Exception {
        Account alice = register("alice");
        Account bob = register("bob");
        String dm = ConversationId.direct(alice.id(), bob.id()).value();
        // claims to come from bob
        assertThat(send(alice.client(), dm, "m1", sealed(bob.id(), dm, "m1", 100, alice.id(), bob.id())).getError().getCode())
                .isEqualTo(ErrorCode.BAD_REQUEST);
        // sealed for another conversation
        assertThat(send(alice.client(), dm, "m2", sealed(alice.id(), "g:1", "m2", 100, alice.id(), bob.id())).getError().getCode())
                .isEqualTo(ErrorCode.BAD_REQUEST);
        // over 64 KiB of content (65 KiB of ciphertext)
        assertThat(send(alice.client(), dm, "m3", sealed(alice.id(), dm, "m3", 65 << 10 | 512, alice.id(), bob.id()))
                .getError().getCode()).isEqualTo(ErrorCode.TOO_LARGE);
        assertThat(send(alice.client(), dm, "m4", new byte[] {7, 7, 7}).getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(send(alice.client(), "not-an-id", "m5", sealed(alice.id(), "not-an-id", "m5", 10, alice.id())).getError().getCode())
                .isEqualTo(ErrorCode.UNKNOWN_CONVERSATION);
        // a third party cannot write into (or read) alice and bob's conversation
        Account mallory = register("mallory");
        assertThat(send(mallory.client(), dm, "m6", sealed(mallory.id(), dm, "m6", 10, alice.id(), bob.id())).getError().getCode())
                .isEqualTo(ErrorCode.NOT_A_MEMBER);
        assertThat(mallory.client().call(Envelope.newBuilder().setHistory(History.newBuilder().setConversationId(dm)))
                .getError().getCode()).isEqualTo(ErrorCode.NOT_A_MEMBER);
        // the format before key commitment: still readable in history, no longer accepted for new messages
        SealedMessage old = SealedMessage.parseFrom(sealed(alice.id(), dm, "m8", 10, alice.id(), bob.id()));
        byte[] version1 = old.toBuilder().setHeader(MessageHeader.newBuilder().setVersion(1).setConversationId(dm)
                .setSenderId(alice.id()).setSenderKeyId(1).setClientMsgId("m8").build().toByteString()).build().toByteArray();
        Envelope refused = send(alice.client(), dm, "m8", version1);
        assertThat(refused.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(refused.getError().getReason()).contains("format version 1");
        // recipients that are not exactly the two of them
        assertThat(send(alice.client(), dm, "m7", sealed(alice.id(), dm, "m7", 10, alice.id(), bob.id(), mallory.id()))
                .getError().getCode()).isEqualTo(ErrorCode.MEMBERS_CHANGED);
        Envelope history = bob.client().call(Envelope.newBuilder().setHistory(History.newBuilder().setConversationId(dm)));
        assertThat(history.getHistoryPage().getMessagesList()).isEmpty();
    }

    @Test
    void aRetryIsIdempotentAndAReusedIdWithOtherContentIsRefused() {
        Account alice = register("alice");
        Account bob = register("bob");
        String dm = ConversationId.direct(alice.id(), bob.id()).value();
        byte[] sealed = sealed(alice.id(), dm, "same-id", 100, alice.id(), bob.id());
        Envelope first = send(alice.client(), dm, "same-id", sealed);
        Envelope again = send(alice.client(), dm, "same-id", sealed);
        assertThat(again.getSendAck().getSeq()).isEqualTo(first.getSendAck().getSeq()).isEqualTo(1);
        Envelope other = send(alice.client(), dm, "same-id", sealed(alice.id(), dm, "same-id", 100, alice.id(), bob.id()));
        assertThat(other.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(other.getError().getReason()).contains("already used");
        assertThat(bob.client().call(Envelope.newBuilder().setHistory(History.newBuilder().setConversationId(dm)))
                .getHistoryPage().getMessagesCount()).isEqualTo(1);
    }

    @Test
    void aSenderOverTheRateIsRefusedAndLosesNothingAcknowledged() {
        Account alice = register("alice");
        Account bob = register("bob");
        String dm = ConversationId.direct(alice.id(), bob.id()).value();
        int acked = 0;
        int limited = 0;
        for (int i = 0; i < 20; i++) {
            String id = "burst-" + i;
            Envelope response = send(alice.client(), dm, id, sealed(alice.id(), dm, id, 50, alice.id(), bob.id()));
            if (response.hasSendAck()) {
                acked++;
            } else {
                assertThat(response.getError().getCode()).isEqualTo(ErrorCode.RATE_LIMITED);
                limited++;
            }
        }
        assertThat(limited).isPositive();
        assertThat(bob.client().call(Envelope.newBuilder().setHistory(History.newBuilder().setConversationId(dm).setLimit(200)))
                .getHistoryPage().getMessagesCount()).isEqualTo(acked);
    }

    @Test
    void acknowledgedMessagesSurviveARestartAndAPushToAVanishedRecipientLosesNothing() throws Exception {
        Path data = dir.resolve("restart");
        long aliceId;
        long bobId;
        String dm;
        byte[] authKey = WireClient.random(32);
        String bobName = WireClient.uniqueName("bob");
        try (TestServer first = TestServer.start(data)) {
            WireClient alice = first.connect();
            alice.hello();
            aliceId = alice.register(WireClient.uniqueName("alice"), WireClient.random(32)).getSession().getAccountId();
            WireClient bob = first.connect();
            bob.hello();
            bobId = bob.register(bobName, authKey).getSession().getAccountId();
            bob.close(); // vanishes; pushes to it go nowhere
            dm = ConversationId.direct(aliceId, bobId).value();
            for (int i = 0; i < 3; i++) {
                assertThat(send(alice, dm, "r" + i, sealed(aliceId, dm, "r" + i, 50, aliceId, bobId)).hasSendAck()).isTrue();
            }
            alice.close();
        }
        try (TestServer second = TestServer.start(data)) {
            WireClient bob = second.connect();
            bob.hello();
            bob.login(bobName, authKey);
            Envelope sync = bob.call(Envelope.newBuilder().setSync(dev.fastchat.protocol.v1.Sync.getDefaultInstance()));
            assertThat(sync.getSyncBatch().getMessagesList()).extracting(m -> m.getSeq()).containsExactly(1L, 2L, 3L);
            bob.close();
        }
    }
}
