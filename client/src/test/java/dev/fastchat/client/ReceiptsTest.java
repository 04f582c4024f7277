package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.client.ChatFixture.User;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Delivered and read receipts through the real server and client library: what a sender hears and when, a member
 * who turned read receipts off, and receipts the server altered or made up (its database changed behind its back).
 */
class ReceiptsTest {
    @RegisterExtension
    static final ChatFixture chats = new ChatFixture();

    /** Logs {@code user} in on another device with read receipts off and a listener of its own. */
    private static ChatClient quietDevice(User user, ChatListener listener) throws Exception {
        ChatClient client = ChatClient.builder().insecurePlaintext(true).server("127.0.0.1", chats.server().port())
                .keyStoreDirectory(chats.keys(user.name(), "first")).registrationKdf(dev.fastchat.crypto.KdfParams.INSECURE_FOR_TESTS)
                .readReceipts(false).listener(listener).build();
        await(client.connect());
        await(client.login(user.name(), "pw".toCharArray()));
        return client;
    }

    @Test
    void aSenderHearsWhenItsMessageArrivedAndWhenItWasRead() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob")) {
            List<String> heard = alice.events().receipts;
            Target dm = Target.user(bob.name());
            SentMessage first = await(alice.client().send(dm, "one"));
            SentMessage second = await(alice.client().send(dm, "two"));
            ChatFixture.eventually(() -> assertThat(heard).contains(bob.name() + " got " + second.seq()));
            assertThat(await(alice.client().receipts().status(dm, second.seq())).state()).isEqualTo("delivered");

            await(bob.client().markRead(first.conversationId(), first.seq()));
            ChatFixture.eventually(() -> assertThat(heard).contains(bob.name() + " read " + first.seq()));
            MessageStatus status = await(alice.client().receipts().status(dm, first.seq()));
            assertThat(status.state()).isEqualTo("read");
            assertThat(status.readBy()).containsExactly(bob.name());
            assertThat(await(alice.client().receipts().status(dm, second.seq())).state()).isEqualTo("delivered");
            assertThat(bob.events().receipts).as("receipts go to the sender only").isEmpty();
        }
    }

    @Test
    void inAGroupTheSenderSeesWhoGotAndWhoReadAndAMemberMayKeepReadsToItself() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob"); User carol = chats.register("carol")) {
            Target group = Target.group(SignedMembershipTest.groupOf(alice, bob, carol));
            carol.close(); // carol's other device reads without telling
            try (ChatClient carolQuiet = quietDevice(carol, new ChatListener() {})) {
                SentMessage sent = await(alice.client().send(group, "who reads this?"));
                ChatFixture.eventually(() -> assertThat(await(alice.client().receipts().status(group, sent.seq())).deliveredTo())
                        .containsExactlyInAnyOrder(bob.name(), carol.name()));
                await(bob.client().markRead(sent.conversationId(), sent.seq()));
                await(carolQuiet.markRead(sent.conversationId(), sent.seq()));
                ChatFixture.eventually(() -> assertThat(await(alice.client().receipts().status(group, sent.seq())).readBy())
                        .containsExactly(bob.name()));
                // carol's would have come within half a second: bob's stays the only read receipt throughout.
                org.awaitility.Awaitility.await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                        assertThat(await(alice.client().receipts().status(group, sent.seq())).readBy()).containsExactly(bob.name()));
                MessageStatus status = await(alice.client().receipts().status(group, sent.seq()));
                assertThat(status.readBy()).containsExactly(bob.name());
                assertThat(status.recipients()).isEqualTo(2);
                assertThat(status.state()).isEqualTo("delivered");
            }
        }
    }

    @Test
    void receiptsTheServerAlteredOrMadeUpAreNotCounted() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob"); User carol = chats.register("carol")) {
            Target group = Target.group(SignedMembershipTest.groupOf(alice, bob, carol));
            SentMessage sent = await(alice.client().send(group, "hello"));
            SentMessage later = await(alice.client().send(group, "later"));
            // (a member tells the senders of what it read once it has them: not before its client got them)
            ChatFixture.eventually(() -> assertThat(bob.events().texts()).containsExactly("hello", "later"));
            ChatFixture.eventually(() -> assertThat(carol.events().texts()).containsExactly("hello", "later"));
            await(bob.client().markRead(sent.conversationId(), sent.seq()));
            await(carol.client().markRead(sent.conversationId(), later.seq()));
            ChatFixture.eventually(() -> assertThat(await(alice.client().receipts().status(group, sent.seq())).readBy())
                    .containsExactlyInAnyOrder(bob.name(), carol.name()));
            long bobId = bob.client().session().orElseThrow().accountId();
            long carolId = carol.client().session().orElseThrow().accountId();

            // The operator says bob read further than he did, and makes up a receipt of bob's from carol's.
            chats.alterDatabase("UPDATE receipts SET up_to_seq = ? WHERE conversation_id = ? AND from_id = ? AND kind = 2",
                    later.seq(), sent.conversationId(), bobId);
            chats.alterDatabase("DELETE FROM receipts WHERE conversation_id = ? AND from_id = ? AND kind = 1", sent.conversationId(), bobId);
            chats.alterDatabase("""
                    INSERT INTO receipts (conversation_id, from_id, to_id, kind, up_to_seq, sealed, updated_at)
                    SELECT conversation_id, ?, to_id, 1, up_to_seq, sealed, updated_at FROM receipts
                    WHERE conversation_id = ? AND from_id = ? AND kind = 2""", bobId, sent.conversationId(), carolId);

            // alice's other device knows only what the server keeps: neither of bob's counts.
            try (User laptop = chats.login(alice.name(), "laptop")) {
                MessageStatus status = await(laptop.client().receipts().status(group, later.seq()));
                assertThat(status.readBy()).containsExactly(carol.name());
                assertThat(status.deliveredTo()).containsExactly(carol.name());
            }
        }
    }
}
