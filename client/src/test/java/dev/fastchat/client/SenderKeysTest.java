package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.client.ChatFixture.User;
import dev.fastchat.crypto.MessageSealer;
import dev.fastchat.crypto.SenderChain;
import dev.fastchat.protocol.v1.MessageHeader;
import dev.fastchat.protocol.v1.SealedMessage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Group messages sealed once in the sender's chain, through the real server and client library: what members
 * open, and what a removed member or a late joiner cannot open even when the server (its database altered behind
 * its back) serves them what they are not entitled to.
 */
class SenderKeysTest {
    @RegisterExtension
    static final ChatFixture chats = new ChatFixture();

    private static long id(User user) {
        return user.client().session().orElseThrow().accountId();
    }

    private static String conversation(User user, String group) throws Exception {
        return await(user.client().groups().list()).stream().filter(g -> g.name().equals(group)).findFirst().orElseThrow().conversationId();
    }

    private static MessageHeader stored(String conversation, long seq) throws Exception {
        byte[] sealed = (byte[]) chats.readDatabase("SELECT sealed FROM messages WHERE conversation_id = ? AND seq = ?", conversation, seq)[0];
        assertThat(SealedMessage.parseFrom(sealed).getRecipients().isEmpty()).as("a chain message lists no recipients").isTrue();
        return MessageSealer.header(sealed);
    }

    private static long chains(String conversation, User sender) throws Exception {
        return ((Number) chats.readDatabase("SELECT COUNT(*) FROM sender_chains WHERE conversation_id = ? AND sender_id = ?",
                conversation, id(sender))[0]).longValue();
    }

    /** The operator gives {@code to}, as its copy of every chain key it lacks in the conversation, {@code from}'s copy. */
    private static void giveOthersKeys(String conversation, User from, User to) throws Exception {
        chats.alterDatabase("""
                INSERT INTO sender_chain_keys (conversation_id, sender_id, chain_id, account_id, sealed)
                SELECT k.conversation_id, k.sender_id, k.chain_id, ?, k.sealed FROM sender_chain_keys k
                WHERE k.conversation_id = ? AND k.account_id = ? AND NOT EXISTS (SELECT 1 FROM sender_chain_keys m
                    WHERE m.conversation_id = k.conversation_id AND m.sender_id = k.sender_id AND m.chain_id = k.chain_id
                    AND m.account_id = ?)
                """, id(to), conversation, id(from), id(to));
    }

    @Test
    void messagesAreSealedOnceInTheSendersChainWhichIsAnnouncedOnce() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob"); User carol = chats.register("carol")) {
            String group = SignedMembershipTest.groupOf(alice, bob, carol);
            String conversation = conversation(alice, group);
            long last = 0;
            for (int i = 0; i < 5; i++) {
                last = await(alice.client().send(Target.group(group), "hello " + i)).seq();
            }
            for (User member : new User[] {bob, carol}) {
                ChatFixture.eventually(() -> assertThat(member.events().texts())
                        .containsExactly("hello 0", "hello 1", "hello 2", "hello 3", "hello 4"));
            }
            MessageHeader header = stored(conversation, last);
            assertThat(header.getVersion()).isEqualTo(SenderChain.VERSION);
            assertThat(header.getChainIndex()).isEqualTo(4);
            assertThat(chains(conversation, alice)).isEqualTo(1);
            // A direct message goes the same way.
            SentMessage direct = await(bob.client().send(Target.user(carol.name()), "psst"));
            ChatFixture.eventually(() -> assertThat(carol.events().texts()).contains("psst"));
            assertThat(stored(direct.conversationId(), direct.seq()).getVersion()).isEqualTo(SenderChain.VERSION);
        }
    }

    @Test
    void aRemovedMemberCannotOpenWhatIsSentAfterItsRemovalEvenWhenTheServerServesIt() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob"); User carol = chats.register("carol")) {
            String group = SignedMembershipTest.groupOf(alice, bob, carol);
            String conversation = conversation(alice, group);
            long before = await(bob.client().send(Target.group(group), "while carol is in")).seq();
            ChatFixture.eventually(() -> assertThat(carol.events().texts()).containsExactly("while carol is in"));

            await(alice.client().groups().remove(group, carol.name()));
            // bob's session still holds the chain carol was told: the server refuses it now, and bob's client moves
            // to a new chain, announced to alice and bob only.
            long after = await(bob.client().send(Target.group(group), "now that carol is gone")).seq();
            ChatFixture.eventually(() -> assertThat(alice.events().texts()).contains("now that carol is gone"));
            assertThat(stored(conversation, after).getChainId()).isNotEqualTo(stored(conversation, before).getChainId());
            assertThat(chains(conversation, bob)).isEqualTo(2);

            // The operator hands carol the conversation again (her removal undone in the database) and, as her copy of the
            // new chain's key, alice's: carol's client, which still holds bob's old chain, opens neither the key nor the message.
            chats.alterDatabase("UPDATE members SET left_seq = NULL WHERE conversation_id = ? AND account_id = ?", conversation, id(carol));
            giveOthersKeys(conversation, alice, carol);
            assertThat(await(carol.client().history(Target.group(group), 0, 10))).extracting(ChatMessage::text)
                    .containsExactly("while carol is in");
            // Reported on the client's event thread, a moment after the history call returns.
            ChatFixture.eventually(() -> assertThat(carol.events().rejected)
                    .anySatisfy(reason -> assertThat(reason).contains("not sealed for account " + id(carol))));
        }
    }

    @Test
    void aNewMemberCannotOpenWhatWasSentBeforeItJoinedEvenWhenTheServerServesIt() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob"); User dave = chats.register("dave")) {
            String group = SignedMembershipTest.groupOf(alice, bob);
            String conversation = conversation(alice, group);
            long secret = await(alice.client().send(Target.group(group), "before dave")).seq();
            await(alice.client().groups().add(group, dave.name()));
            await(dave.client().invitations().accept(group));
            long welcome = await(alice.client().send(Target.group(group), "welcome dave")).seq();
            ChatFixture.eventually(() -> assertThat(dave.events().texts()).containsExactly("welcome dave"));
            assertThat(stored(conversation, welcome).getChainId()).isNotEqualTo(stored(conversation, secret).getChainId());

            // The operator lets dave see the whole conversation, with bob's copies of the keys dave never got: the earlier
            // message comes, and does not open.
            chats.alterDatabase("UPDATE members SET joined_seq = 0 WHERE conversation_id = ? AND account_id = ?", conversation, id(dave));
            giveOthersKeys(conversation, bob, dave);
            assertThat(await(dave.client().history(Target.group(group), 0, 10))).extracting(ChatMessage::text)
                    .containsExactly("welcome dave");
            ChatFixture.eventually(() -> assertThat(dave.events().rejected)
                    .anySatisfy(reason -> assertThat(reason).contains("not sealed for account " + id(dave))));
        }
    }

    @Test
    void anotherDeviceOfAMemberOpensTheHistoryItWasEntitledTo() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob")) {
            String group = SignedMembershipTest.groupOf(alice, bob);
            await(alice.client().send(Target.group(group), "one"));
            await(bob.client().send(Target.group(group), "two"));
            await(alice.client().send(Target.group(group), "three"));
            try (User laptop = chats.login(bob.name(), "laptop")) {
                assertThat(await(laptop.client().history(Target.group(group), 0, 10))).extracting(ChatMessage::text)
                        .containsExactly("three", "two", "one");
                assertThat(laptop.events().rejected).isEmpty();
            }
        }
    }

    @Test
    void aMessageSealedToEachRecipientAsBeforeSenderChainsStillOpens() throws Exception {
        try (User alice = chats.register("alice");
             dev.fastchat.server.testing.WireClient old = chats.server().connect()) {
            dev.fastchat.crypto.IdentityKeyPair oldKeys = dev.fastchat.crypto.IdentityKeyPair.generate(new java.security.SecureRandom());
            old.hello();
            String oldName = dev.fastchat.server.testing.WireClient.uniqueName("old");
            long oldId = old.register(oldName, dev.fastchat.server.testing.WireClient.random(32), oldKeys).getSession().getAccountId();
            String conversation = dev.fastchat.protocol.ConversationId.direct(oldId, id(alice)).value();
            byte[] sealed = MessageSealer.seal(new MessageSealer.Sender(oldId, 1, oldKeys), conversation, "v2-1", java.time.Instant.now(),
                    dev.fastchat.protocol.v1.Content.newBuilder().setText("sealed the old way").build(),
                    List.of(new MessageSealer.Recipient(oldId, 1, oldKeys.publicIdentity().x25519()),
                            new MessageSealer.Recipient(id(alice), 1, alice.client().identity().orElseThrow().publicIdentity().x25519())),
                    new java.security.SecureRandom());
            assertThat(old.call(dev.fastchat.protocol.v1.Envelope.newBuilder().setSend(dev.fastchat.protocol.v1.Send.newBuilder()
                    .setConversationId(conversation).setClientMsgId("v2-1").setSealed(com.google.protobuf.ByteString.copyFrom(sealed))))
                    .hasSendAck()).isTrue();
            assertThat(MessageSealer.header(sealed).getVersion()).isEqualTo(MessageSealer.VERSION);
            ChatFixture.eventually(() -> assertThat(alice.events().texts()).containsExactly("sealed the old way"));
            assertThat(await(alice.client().history(Target.user(oldName), 0, 10))).extracting(ChatMessage::text)
                    .containsExactly("sealed the old way");
        }
    }

    @Test
    void aChainRotatesAfterTheConfiguredCount() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob")) {
            String group = SignedMembershipTest.groupOf(alice, bob);
            String conversation = conversation(alice, group);
            try (ChatClient rotating = ChatClient.builder().insecurePlaintext(true).server("127.0.0.1", chats.server().port())
                    .keyStoreDirectory(chats.keys(alice.name(), "first")).registrationKdf(dev.fastchat.crypto.KdfParams.INSECURE_FOR_TESTS)
                    .chainRotation(3, java.time.Duration.ofDays(1)).build()) {
                await(rotating.connect());
                await(rotating.login(alice.name(), "pw".toCharArray()));
                long before = chains(conversation, alice);
                for (int i = 0; i < 7; i++) {
                    await(rotating.send(Target.group(group), "r" + i));
                }
                assertThat(chains(conversation, alice) - before).isEqualTo(3); // 3 + 3 + 1
                ChatFixture.eventually(() -> assertThat(bob.events().texts()).containsExactly("r0", "r1", "r2", "r3", "r4", "r5", "r6"));
            }
            assertThat(stored(conversation, 7).getChainId()).isNotEqualTo(stored(conversation, 1).getChainId());
        }
    }

    /**
     * bob and carol send while alice removes dave and adds erin and frank, and gus, a member, is away the whole time
     * (three new chains for every sender meanwhile). Every message is acknowledged (a send the server refuses as
     * sealed for the members before a change goes again in a new chain), and each user opens exactly those stored
     * while it was a member, even when the operator then shows every user the whole conversation.
     */
    @Test
    void messagesSentWhileMembersChangeOpenForExactlyTheMembersOfTheirMoment() throws Exception {
        User alice = chats.register("alice");
        User bob = chats.register("bob");
        User carol = chats.register("carol");
        User dave = chats.register("dave");
        User erin = chats.register("erin");
        User frank = chats.register("frank");
        User gus = chats.register("gus");
        User gusBack = null;
        try {
            String group = SignedMembershipTest.groupOf(alice, bob, carol, dave, gus);
            String conversation = conversation(alice, group);
            await(bob.client().send(Target.group(group), "first")); // everyone's chains announced before the changes
            String gusName = gus.name();
            gus.close();
            List<Long> sent = Collections.synchronizedList(new ArrayList<>());
            try (var senders = Executors.newFixedThreadPool(2)) {
                List<Future<?>> sending = new ArrayList<>();
                for (User sender : new User[] {bob, carol}) {
                    sending.add(senders.submit(() -> {
                        for (int i = 0; i < 30; i++) {
                            sent.add(await(sender.client().send(Target.group(group), sender.name() + " " + i)).seq());
                        }
                        return null;
                    }));
                }
                await(alice.client().groups().remove(group, dave.name()));
                await(alice.client().groups().add(group, erin.name()));
                await(erin.client().invitations().accept(group));
                await(alice.client().groups().add(group, frank.name()));
                await(frank.client().invitations().accept(group));
                for (Future<?> sender : sending) {
                    sender.get(60, TimeUnit.SECONDS);
                }
            }
            assertThat(sent).hasSize(60);
            gusBack = chats.login(gusName, "first");

            List<User> everyone = List.of(alice, bob, carol, dave, erin, frank, gusBack);
            Map<User, long[]> range = new HashMap<>(); // seqs a user may see: (joined, left]
            for (User user : everyone) {
                Object[] row = chats.readDatabase("SELECT joined_seq, left_seq FROM members WHERE conversation_id = ? AND account_id = ?",
                        conversation, id(user));
                range.put(user, new long[] {((Number) row[0]).longValue(), row[1] == null ? Long.MAX_VALUE : ((Number) row[1]).longValue()});
            }
            assertThat(range.get(dave)[1]).as("dave left while bob and carol were sending").isLessThan(Collections.max(sent));
            assertThat(range.get(frank)[0]).as("frank joined while bob and carol were sending").isGreaterThan(Collections.min(sent));
            chats.alterDatabase("UPDATE members SET joined_seq = 0, left_seq = NULL WHERE conversation_id = ?", conversation);
            for (User user : everyone) {
                long[] mine = range.get(user);
                Set<Long> expected = new TreeSet<>(sent.stream().filter(seq -> seq > mine[0] && seq <= mine[1]).toList());
                Set<Long> opened = new TreeSet<>(await(user.client().history(Target.group(group), 0, 100)).stream()
                        .map(ChatMessage::seq).filter(sent::contains).toList());
                assertThat(opened).as("%s, who may see (%d, %d]", user.name(), mine[0], mine[1]).isEqualTo(expected);
            }
            assertThat(gusBack.events().rejected).as("gus, back after three changes").isEmpty();
        } finally {
            for (User user : new User[] {alice, bob, carol, dave, erin, frank, gusBack}) {
                if (user != null) {
                    user.close();
                }
            }
        }
    }
}
