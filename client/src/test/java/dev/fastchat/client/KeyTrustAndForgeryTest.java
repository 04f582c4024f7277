package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static dev.fastchat.client.ChatClientTest.codeOf;
import static dev.fastchat.client.ChatFixture.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.fastchat.client.ChatFixture.User;
import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.crypto.MessageSealer;
import dev.fastchat.protocol.ConversationId;
import dev.fastchat.protocol.v1.Content;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.SealedBody;
import dev.fastchat.protocol.v1.SealedMessage;
import dev.fastchat.protocol.v1.Send;
import dev.fastchat.server.testing.WireClient;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the client does when the server, or someone through it, lies: a swapped identity key in the key
 * directory, and messages whose signature or bytes do not match, sent over real sockets through a real
 * server (which cannot tell: it never opens a message).
 */
class KeyTrustAndForgeryTest {
    @RegisterExtension
    static final ChatFixture chats = new ChatFixture();
    final SecureRandom random = new SecureRandom();

    @Test
    void aSwappedKeyInTheDirectoryBlocksSendingAndFlagsMessagesUntilTheUserAcceptsIt() throws Exception {
        User bob = chats.register("bob");
        String aliceName;
        long aliceId;
        byte[] aliceX25519;
        try (User alice = chats.register("alice")) {
            aliceName = alice.name();
            aliceId = alice.client().session().orElseThrow().accountId();
            aliceX25519 = alice.client().identity().orElseThrow().publicIdentity().x25519();
            await(alice.client().send(Target.user(bob.name()), "hello bob")); // pins bob's key
            assertThat(await(alice.client().keys().verify(bob.name())).trust()).isEqualTo(KeyTrust.PINNED);
        }
        long bobId = bob.client().session().orElseThrow().accountId();

        // The directory now hands out another key for bob, and a message "from bob" signed with it appears.
        IdentityKeyPair impostor = chats.serveOtherKeys(bobId);
        ConversationId conversation = ConversationId.direct(aliceId, bobId);
        byte[] forged = MessageSealer.seal(new MessageSealer.Sender(bobId, 2, impostor), conversation.value(), "forged-1",
                Instant.now(), Content.newBuilder().setText("send the money to this account").build(),
                List.of(new MessageSealer.Recipient(aliceId, 1, aliceX25519),
                        new MessageSealer.Recipient(bobId, 2, impostor.publicIdentity().x25519())), random);
        chats.alterDatabase("INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, sealed, created_at)"
                + " SELECT conversation_id, MAX(seq) + 1, ?, 'forged-1', ?, 0 FROM messages WHERE conversation_id = ?"
                + " GROUP BY conversation_id", bobId, forged, conversation.value());

        try (User alice = chats.login(aliceName, "first")) {
            assertThat(codeOf(alice.client().send(Target.user(bob.name()), "are you still you?"))).isEqualTo(ErrorCode.UNTRUSTED_KEY);
            List<ChatMessage> history = await(alice.client().history(Target.user(bob.name()), 0, 10));
            assertThat(history).extracting(ChatMessage::text).containsExactly("send the money to this account", "hello bob");
            assertThat(history.getFirst().trust()).isEqualTo(KeyTrust.KEY_CHANGED);
            assertThat(history.getLast().trust()).isEqualTo(KeyTrust.PINNED);
            KeyVerification changed = await(alice.client().keys().verify(bob.name()));
            assertThat(changed.trust()).isEqualTo(KeyTrust.KEY_CHANGED);

            await(alice.client().keys().accept(bob.name())); // after comparing safety numbers out of band
            assertThat(await(alice.client().keys().verify(bob.name())).trust()).isEqualTo(KeyTrust.PINNED);
            assertThat(await(alice.client().send(Target.user(bob.name()), "ok, new key accepted")).seq()).isEqualTo(3);
        } finally {
            bob.close();
        }
    }

    @Test
    void aKeySwappedInTheDirectoryAndPushedWithAChainsAnnouncementIsHeldAgainstThePinAsALookupsAnswerIs() throws Exception {
        try (User bob = chats.register("bob")) {
            String aliceName;
            try (User alice = chats.register("alice")) {
                aliceName = alice.name();
                await(alice.client().send(Target.user(bob.name()), "hello bob")); // pins bob's key
            }
            // The directory now hands out another key for bob. Bob's next chain is announced to alice's new session
            // with the keys the server reads then: the swapped ones, which spare her a lookup.
            chats.serveOtherKeys(bob.client().session().orElseThrow().accountId());
            try (User alice = chats.login(aliceName, "first")) {
                await(bob.client().send(Target.user(aliceName), "still me"));
                // Signed with the pinned key, so the message is bob's; the pushed key is not pinned for it.
                eventually(() -> assertThat(alice.events().messages).filteredOn(message -> message.text().equals("still me"))
                        .singleElement().satisfies(message -> assertThat(message.trust()).isEqualTo(KeyTrust.PINNED)));
                assertThat(await(alice.client().keys().verify(bob.name())).trust()).isEqualTo(KeyTrust.KEY_CHANGED);
                assertThat(codeOf(alice.client().send(Target.user(bob.name()), "is it you?"))).isEqualTo(ErrorCode.UNTRUSTED_KEY);
            }
        }
    }

    @Test
    void messagesWithAForgedSignatureOrAnAlteredByteReachTheListenerAsRejectedNeverAsMessages() throws Exception {
        try (User alice = chats.register("alice"); WireClient mallory = WireClient.connect(chats.server().address())) {
            long aliceId = alice.client().session().orElseThrow().accountId();
            byte[] aliceX25519 = alice.client().identity().orElseThrow().publicIdentity().x25519();
            IdentityKeyPair malloryKeys = IdentityKeyPair.generate(random);
            mallory.hello();
            String malloryName = WireClient.uniqueName("mallory");
            long malloryId = mallory.register(malloryName, WireClient.random(32),
                    malloryKeys.publicIdentity().x25519(), malloryKeys.publicIdentity().ed25519()).getSession().getAccountId();
            String conversation = ConversationId.direct(aliceId, malloryId).value();
            List<MessageSealer.Recipient> recipients = List.of(new MessageSealer.Recipient(aliceId, 1, aliceX25519),
                    new MessageSealer.Recipient(malloryId, 1, malloryKeys.publicIdentity().x25519()));

            // A well-formed message first: it arrives, and alice pins mallory's registered key.
            send(mallory, conversation, "m1", MessageSealer.seal(new MessageSealer.Sender(malloryId, 1, malloryKeys),
                    conversation, "m1", Instant.now(), text("genuine"), recipients, random));
            eventually(() -> assertThat(alice.events().texts()).containsExactly("genuine"));

            // Signed with a key that is not mallory's.
            IdentityKeyPair other = IdentityKeyPair.generate(random);
            send(mallory, conversation, "m2", MessageSealer.seal(new MessageSealer.Sender(malloryId, 1, other),
                    conversation, "m2", Instant.now(), text("signed by someone else"), recipients, random));
            // Properly signed, then one byte of the ciphertext flipped on the way.
            SealedMessage sealed = SealedMessage.parseFrom(MessageSealer.seal(new MessageSealer.Sender(malloryId, 1, malloryKeys),
                    conversation, "m3", Instant.now(), text("altered in transit"), recipients, random));
            SealedBody body = SealedBody.parseFrom(sealed.getBody());
            byte[] ciphertext = body.getCiphertext().toByteArray();
            ciphertext[ciphertext.length / 2] ^= 0x01;
            send(mallory, conversation, "m3", sealed.toBuilder()
                    .setBody(body.toBuilder().setCiphertext(ByteString.copyFrom(ciphertext)).build().toByteString())
                    .build().toByteArray());

            eventually(() -> assertThat(alice.events().rejected).hasSize(2));
            assertThat(alice.events().rejected).allSatisfy(reason -> assertThat(reason).contains("signature"));
            assertThat(alice.events().texts()).containsExactly("genuine");
            // History shows only what opens, too.
            assertThat(await(alice.client().history(Target.user(malloryName), 0, 10)))
                    .extracting(ChatMessage::text).containsExactly("genuine");
        }
    }

    /** The failure's code, or null when the future completed normally. */
    private static ErrorCode codeOfOrNull(java.util.concurrent.CompletableFuture<?> future) {
        try {
            future.get(30, java.util.concurrent.TimeUnit.SECONDS);
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause() instanceof ChatException chat ? chat.code() : ErrorCode.INTERNAL;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static Content text(String text) {
        return Content.newBuilder().setText(text).build();
    }

    private static void send(WireClient client, String conversation, String clientMsgId, byte[] sealed) {
        Envelope answer = client.call(Envelope.newBuilder().setSend(Send.newBuilder().setConversationId(conversation)
                .setClientMsgId(clientMsgId).setSealed(ByteString.copyFrom(sealed))));
        assertThat(answer.hasSendAck()).as("the server accepts what it cannot open: %s", answer).isTrue();
    }

    @Test
    void replacingKeysNeedsThePasswordAndANewDeviceRestoresTheNewKeys() throws Exception {
        try (User alice = chats.register("alice")) {
            IdentityKeyPair before = alice.client().identity().orElseThrow();
            // A stolen session alone cannot replace the keys: the password is checked.
            assertThat(codeOf(alice.client().keys().replace("not the password".toCharArray()))).isEqualTo(ErrorCode.WRONG_CREDENTIALS);
            assertThat(alice.client().identity().orElseThrow().publicIdentity()).isEqualTo(before.publicIdentity());

            // A wrong password delays the next try from this address a moment (the log-in throttle): then it works.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).pollInterval(java.time.Duration.ofMillis(250))
                    .until(() -> codeOfOrNull(alice.client().keys().replace("pw".toCharArray())) == null);
            IdentityKeyPair after = alice.client().identity().orElseThrow();
            assertThat(after.publicIdentity()).isNotEqualTo(before.publicIdentity());
            try (User laptop = chats.login(alice.name(), "laptop")) { // restored from the new sealed backup
                assertThat(laptop.client().identity().orElseThrow().publicIdentity()).isEqualTo(after.publicIdentity());
            }
        }
    }
}
