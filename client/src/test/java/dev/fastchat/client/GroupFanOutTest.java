package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static dev.fastchat.client.ChatFixture.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.client.ChatFixture.User;
import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.crypto.MessageSealer;
import dev.fastchat.protocol.v1.Cursor;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.Message;
import dev.fastchat.protocol.v1.Sync;
import dev.fastchat.protocol.v1.SyncBatch;
import dev.fastchat.server.testing.WireClient;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Large groups and recipients that go away while the server is pushing to them, over real sockets. Most
 * members are raw protocol clients with real identity keys (cheaper than 256 full clients), so every one of
 * them can check that it really can open what the library sealed.
 */
class GroupFanOutTest {
    @RegisterExtension
    static final ChatFixture chats = new ChatFixture();
    final SecureRandom random = new SecureRandom();

    /** A member on a raw connection, with the private keys it registered. */
    record RawMember(String name, long accountId, IdentityKeyPair keys, byte[] authKey, WireClient wire) implements AutoCloseable {
        @Override
        public void close() {
            wire.close();
        }

        /** Accepts the invitation to {@code group}. */
        void accept(String group) {
            Envelope answer = wire.answer(group, true);
            if (!answer.hasGroupInfo()) {
                throw new AssertionError(name + " could not accept: " + answer);
            }
        }

        /**
         * Opens a message of a sender chain as this member: fetches the chain's announcement from the server, opens it
         * (sealed to this member among all the others) and opens the message with the chain.
         */
        MessageSealer.Opened openInChain(Message message, byte[] senderSigning) {
            byte[] chainId = MessageSealer.header(message.getSealed().toByteArray()).getChainId().toByteArray();
            Envelope announcement = wire.call(Envelope.newBuilder().setGetChain(dev.fastchat.protocol.v1.GetChain.newBuilder()
                    .setConversationId(message.getConversationId()).setSenderId(message.getSenderId())
                    .setChainId(com.google.protobuf.ByteString.copyFrom(chainId))));
            MessageSealer.Opened key = MessageSealer.open(announcement.getChainAnnouncement().getSealed().toByteArray(),
                    message.getConversationId(), message.getSenderId(), senderSigning, accountId, keys);
            return new dev.fastchat.crypto.SenderChain.Receiving(message.getConversationId(), message.getSenderId(),
                    key.content().getSenderKey()).open(message.getSealed().toByteArray(), message.getConversationId(),
                    message.getSenderId(), senderSigning);
        }

        /** Reads pushes until the next delivered message. */
        Message nextDelivered() {
            while (true) {
                Envelope push = wire.read();
                if (push.hasDeliver()) {
                    return push.getDeliver().getMessage();
                }
            }
        }
    }

    RawMember rawMember(WireClient wire) {
        IdentityKeyPair keys = IdentityKeyPair.generate(random);
        byte[] authKey = WireClient.random(32);
        String name = WireClient.uniqueName("m");
        wire.hello();
        long id = wire.register(name, authKey, keys)
                .getSession().getAccountId();
        return new RawMember(name, id, keys, authKey, wire);
    }

    @Test
    void aGroupOf256MembersCarriesMessagesBothWaysAndEveryMemberCanOpenThem() throws Exception {
        List<RawMember> raw = new ArrayList<>();
        try (User alice = chats.register("alice"); User bob = chats.register("bob")) {
            for (int i = 0; i < 254; i++) {
                raw.add(rawMember(chats.server().connect()));
            }
            ChatGroup big = await(alice.client().groups().create(WireClient.uniqueName("big")));
            await(alice.client().groups().add(big.name(), bob.name()));
            await(bob.client().invitations().accept(big.name()));
            for (RawMember member : raw) {
                await(alice.client().groups().add(big.name(), member.name()));
                member.accept(big.name());
            }
            assertThat(await(alice.client().groups().members(big.name()))).hasSize(256);

            await(alice.client().send(Target.group(big.name()), "hello, all 255 of you"));
            eventually(() -> assertThat(bob.events().texts()).containsExactly("hello, all 255 of you"));
            byte[] aliceSigning = alice.client().identity().orElseThrow().publicIdentity().ed25519();
            long aliceId = alice.client().session().orElseThrow().accountId();
            for (RawMember member : raw) {
                Message delivered = member.nextDelivered();
                assertThat(delivered.getSenderId()).isEqualTo(aliceId);
                MessageSealer.Opened opened = member.openInChain(delivered, aliceSigning);
                assertThat(opened.content().getText()).isEqualTo("hello, all 255 of you");
            }

            await(bob.client().send(Target.group(big.name()), "thanks alice"));
            eventually(() -> assertThat(alice.events().texts()).containsExactly("thanks alice"));
            assertThat(await(alice.client().history(Target.group(big.name()), 0, 10))).extracting(ChatMessage::text)
                    .containsExactly("thanks alice", "hello, all 255 of you");
        } finally {
            raw.forEach(RawMember::close);
        }
    }

    @Test
    void aRecipientThatVanishesMidPushLosesNothingAndHoldsUpNoOne() throws Exception {
        int count = 40;
        String text = "x".repeat(60_000);
        try (User alice = chats.register("alice"); User bob = chats.register("bob");
             RawMember carol = rawMember(WireClient.connect(chats.server().address(), 4096))) {
            ChatGroup team = await(alice.client().groups().create(WireClient.uniqueName("team")));
            await(alice.client().groups().add(team.name(), bob.name()));
            await(bob.client().invitations().accept(team.name()));
            await(alice.client().groups().add(team.name(), carol.name()));
            carol.accept(team.name());

            // carol reads nothing: her socket buffer fills and the server's pushes to her back up.
            List<CompletableFuture<SentMessage>> sends = new ArrayList<>();
            for (int i = 1; i <= count; i++) {
                sends.add(alice.client().send(Target.group(team.name()), i + " " + text));
                if (i == count / 2) {
                    await(sends.getLast());
                    carol.wire().abort(); // gone with a reset while pushes to her are in flight
                }
            }
            for (CompletableFuture<SentMessage> send : sends) {
                await(send);
            }
            eventually(() -> assertThat(bob.events().messages).hasSize(count));
            assertThat(bob.events().messages).extracting(ChatMessage::seq)
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, count).boxed().toList());

            try (WireClient again = chats.server().connect()) { // carol comes back: everything is there, in order
                again.hello();
                assertThat(again.login(carol.name(), carol.authKey()).hasSession()).isTrue();
                List<Long> seqs = new ArrayList<>();
                SyncBatch batch;
                do { // pages of 15, each continuing after the last seq received
                    long cursor = seqs.isEmpty() ? 0 : seqs.getLast();
                    batch = again.call(Envelope.newBuilder().setSync(Sync.newBuilder().setLimit(15)
                            .addCursors(Cursor.newBuilder().setConversationId(team.conversationId()).setSeq(cursor)))).getSyncBatch();
                    batch.getMessagesList().forEach(m -> seqs.add(m.getSeq()));
                } while (batch.getMore() && seqs.size() <= count);
                assertThat(seqs).containsExactlyElementsOf(LongStream.rangeClosed(1, count).boxed().toList());
            }
        }
    }
}
