package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static dev.fastchat.client.ChatClientTest.codeOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.client.ChatFixture.User;
import dev.fastchat.crypto.KdfParams;
import dev.fastchat.protocol.v1.ErrorCode;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The server as the attacker: the real server with its database altered behind its back, against the real
 * client library. Each test is an attack that worked before the client checked for it.
 */
class MaliciousServerTest {
    @RegisterExtension
    static final ChatFixture chats = new ChatFixture();

    @Test
    void aPinnedNameServedAsAnotherAccountIsRefusedAndItsMessagesFlaggedUntilAccepted() throws Exception {
        String aliceName;
        String bobName;
        long bobId;
        try (User alice = chats.register("alice"); User bob = chats.register("bob")) {
            aliceName = alice.name();
            bobName = bob.name();
            bobId = bob.client().session().orElseThrow().accountId();
            await(alice.client().send(Target.user(bobName), "hello bob")); // pins bob: name, account id and keys
        }
        // The operator moves the genuine bob aside and registers an account of its own under his name.
        chats.alterDatabase("UPDATE accounts SET name = ? WHERE id = ?", "moved" + bobId, bobId);
        chats.alterDatabase("DELETE FROM names WHERE name = ?", bobName);
        try (User impostor = chats.registerAs(bobName); User alice = chats.login(aliceName, "first")) {
            await(impostor.client().send(Target.user(aliceName), "it's me, bob: send me the codes"));
            ChatException refused = failure(alice.client().send(Target.user(bobName), "is that you?"));
            assertThat(refused.code()).isEqualTo(ErrorCode.UNTRUSTED_KEY);
            assertThat(refused.getMessage()).contains("another account");
            ChatFixture.eventually(() -> assertThat(alice.events().messages).singleElement()
                    .satisfies(message -> assertThat(message.trust()).isEqualTo(KeyTrust.KEY_CHANGED)));
            assertThat(await(alice.client().keys().verify(bobName)).trust()).isEqualTo(KeyTrust.KEY_CHANGED);

            await(alice.client().keys().accept(bobName)); // after comparing safety numbers with whoever bob is now
            assertThat(await(alice.client().keys().verify(bobName)).trust()).isEqualTo(KeyTrust.PINNED);
            assertThat(await(alice.client().send(Target.user(bobName), "accepted")).seq()).isEqualTo(2);
        }
    }

    @Test
    void aMessageStoredAgainAtAnotherSeqIsDroppedAndReportedInALaterSession() throws Exception {
        String aliceName;
        String bobName;
        String conversation;
        try (User alice = chats.register("alice"); User bob = chats.register("bob")) {
            aliceName = alice.name();
            bobName = bob.name();
            conversation = await(bob.client().send(Target.user(aliceName), "I owe you 10 euros")).conversationId();
            ChatFixture.eventually(() -> assertThat(alice.events().texts()).containsExactly("I owe you 10 euros"));
            await(bob.client().send(Target.user(aliceName), "see you"));
            ChatFixture.eventually(() -> assertThat(alice.events().texts()).hasSize(2));
        }
        // The operator stores bob's first message again, as the newest of the conversation.
        chats.alterDatabase("INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, sealed, created_at)"
                + " SELECT conversation_id, 3, sender_id, client_msg_id || '-again', sealed, created_at FROM messages"
                + " WHERE conversation_id = ? AND seq = 1", conversation);

        try (User alice = chats.login(aliceName, "first")) {
            List<ChatMessage> history = await(alice.client().history(Target.user(bobName), 0, 10));
            assertThat(history).extracting(ChatMessage::seq).containsExactly(2L, 1L);
            ChatFixture.eventually(() -> assertThat(alice.events().rejected).singleElement().asString()
                    .contains("replay", conversation + "#1"));
            assertThat(alice.events().messages).isEmpty();
        }
    }

    @Test
    void aNewDeviceTrustsExactlyWhatTheUsersOtherDeviceTrustedAndCatchesAKeySwappedBeforeItLoggedIn() throws Exception {
        User bob = chats.register("bob");
        User carol = chats.register("carol");
        String aliceName;
        try (User alice = chats.register("alice")) {
            aliceName = alice.name();
            await(alice.client().send(Target.user(bob.name()), "hi bob")); // pinned on first use
            await(alice.client().keys().markVerified(carol.name())); // compared in person
        } // closing stores the pins on the server, sealed
        long bobId = bob.client().session().orElseThrow().accountId();
        bob.close();
        // Before alice's new device logs in, the operator serves another key for bob.
        chats.serveOtherKeys(bobId);

        try (User laptop = chats.login(aliceName, "laptop")) {
            assertThat(await(laptop.client().keys().verify(bob.name())).trust()).isEqualTo(KeyTrust.KEY_CHANGED);
            assertThat(codeOf(laptop.client().send(Target.user(bob.name()), "hello?"))).isEqualTo(ErrorCode.UNTRUSTED_KEY);
            assertThat(await(laptop.client().keys().verify(carol.name())).trust()).isEqualTo(KeyTrust.VERIFIED);
            await(laptop.client().send(Target.user(carol.name()), "hi carol"));
        } finally {
            carol.close();
        }
    }

    @Test
    void aVerifiedContactWhoseKeyChangesIsRefusedUntilVerifiedAgainNotMerelyAccepted() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob")) {
            await(alice.client().keys().markVerified(bob.name()));
            await(bob.client().send(Target.user(alice.name()), "verified hello"));
            ChatFixture.eventually(() -> assertThat(alice.events().messages).singleElement()
                    .satisfies(message -> assertThat(message.trust()).isEqualTo(KeyTrust.VERIFIED)));

            long bobId = bob.client().session().orElseThrow().accountId();
            chats.serveOtherKeys(bobId);
            assertThat(await(alice.client().keys().verify(bob.name())).trust()).isEqualTo(KeyTrust.KEY_CHANGED);
            ChatException send = failure(alice.client().send(Target.user(bob.name()), "still you?"));
            assertThat(send.code()).isEqualTo(ErrorCode.UNTRUSTED_KEY);
            assertThat(send.getMessage()).contains("mark-verified");
            ChatException accept = failure(alice.client().keys().accept(bob.name()));
            assertThat(accept.code()).isEqualTo(ErrorCode.UNTRUSTED_KEY);
            assertThat(accept.getMessage()).contains("was verified");
            assertThat(codeOf(alice.client().send(Target.user(bob.name()), "still you?"))).isEqualTo(ErrorCode.UNTRUSTED_KEY);

            assertThat(await(alice.client().keys().markVerified(bob.name())).trust()).isEqualTo(KeyTrust.VERIFIED);
            await(alice.client().send(Target.user(bob.name()), "verified again"));
        }
    }

    @Test
    void aTrustStateAlteredOrAnOlderOneRelabelledByTheServerIsRefused() throws Exception {
        User bob = chats.register("bob");
        User carol = chats.register("carol");
        String aliceName;
        long aliceId;
        try (User alice = chats.register("alice")) {
            aliceName = alice.name();
            aliceId = alice.client().session().orElseThrow().accountId();
            await(alice.client().send(Target.user(bob.name()), "hi bob"));
        } // stores the pins: version 1
        byte[] first = trustState(aliceId, 1);
        try (User alice = chats.login(aliceName, "first")) {
            await(alice.client().keys().markVerified(carol.name()));
        } // version 2
        byte[] second = trustState(aliceId, 2);

        // Version 1's bytes served as version 2 (to take back the verification): bound to their version, they do not open.
        chats.alterDatabase("UPDATE trust_states SET sealed = ? WHERE account_id = ?", first, aliceId);
        ChatException relabelled = loginFails(aliceName, "laptop");
        assertThat(relabelled.code()).isEqualTo(ErrorCode.UNTRUSTED_SERVER);
        assertThat(relabelled.getMessage()).contains("trust state");
        // One byte changed.
        second[second.length - 1] ^= 1;
        chats.alterDatabase("UPDATE trust_states SET sealed = ? WHERE account_id = ?", second, aliceId);
        assertThat(loginFails(aliceName, "tablet").code()).isEqualTo(ErrorCode.UNTRUSTED_SERVER);
        bob.close();
        carol.close();
    }

    /** The sealed trust state the server keeps for {@code accountId}, which must be at {@code version}. */
    private static byte[] trustState(long accountId, long version) throws Exception {
        Object[] row = chats.readDatabase("SELECT version, sealed FROM trust_states WHERE account_id = ?", accountId);
        assertThat(((Number) row[0]).longValue()).isEqualTo(version);
        return (byte[]) row[1];
    }

    @Test
    void aServerThatLowersThePasswordHashCostIsRefusedBeforeTheAuthKeyIsSent() throws Exception {
        String name;
        try (User alice = chats.register("alice")) {
            name = alice.name();
        }
        // On a device new to the account, weaker than the client's floor: the auth key it would get is cheap to brute-force.
        setKdf(name, 8, 1, 1);
        ChatException weak = loginFails(name, "laptop");
        assertThat(weak.code()).isEqualTo(ErrorCode.UNTRUSTED_SERVER);
        assertThat(weak.getMessage()).contains("floor", "m=8 KiB");
        // A client with the default floor (the registration defaults) refuses a cost just under it.
        try (ChatClient phone = ChatClient.builder().insecurePlaintext(true).server("127.0.0.1", chats.server().port())
                .keyStoreDirectory(chats.keys(name, "phone")).build()) {
            await(phone.connect());
            setKdf(name, 16 * 1024, 2, 1);
            assertThat(codeOf(phone.login(name, "pw".toCharArray()))).isEqualTo(ErrorCode.UNTRUSTED_SERVER);
        }
        // Beyond the ceiling: refused before any memory is taken.
        setKdf(name, 4 * 1024 * 1024, 2, 1);
        assertThat(loginFails(name, "tablet").getMessage()).contains("ceiling");
        // The device that registered refuses all of them as other than it remembers.
        assertThat(loginFails(name, "first").getMessage()).contains("this device logged in with");
    }

    @Test
    void aServerThatChangesTheRememberedPasswordHashCostIsRefusedAndTheGenuineOneStillWorks() throws Exception {
        String name;
        try (User alice = chats.register("alice")) {
            name = alice.name();
        }
        KdfParams registered = KdfParams.INSECURE_FOR_TESTS;
        // Within floor and ceiling, but not what this device used for the account.
        setKdf(name, registered.memoryKib() * 2, registered.iterations(), registered.parallelism());
        ChatException changed = loginFails(name, "first");
        assertThat(changed.code()).isEqualTo(ErrorCode.UNTRUSTED_SERVER);
        assertThat(changed.getMessage()).contains("this device logged in with " + registered);

        setKdf(name, registered.memoryKib(), registered.iterations(), registered.parallelism());
        try (User again = chats.login(name, "first")) {
            assertThat(again.client().session()).isPresent();
        }
    }

    @Test
    void aClientDoesNotRegisterBelowItsOwnFloor() throws Exception {
        try (ChatClient client = ChatClient.builder().insecurePlaintext(true).server("127.0.0.1", chats.server().port())
                .keyStoreDirectory(chats.dir().resolve("floor")).kdfFloor(KdfParams.DEFAULT)
                .registrationKdf(KdfParams.INSECURE_FOR_TESTS).build()) {
            await(client.connect());
            ChatException refused = failure(client.register("floorless", "pw".toCharArray()));
            assertThat(refused.code()).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(refused.local()).isTrue();
        }
    }

    private static void setKdf(String name, int memoryKib, int iterations, int parallelism) throws Exception {
        chats.alterDatabase("UPDATE accounts SET kdf_memory_kib = ?, kdf_iterations = ?, kdf_parallelism = ? WHERE name = ?",
                memoryKib, iterations, parallelism, name);
    }

    private static ChatException loginFails(String name, String device) throws Exception {
        try (ChatClient client = chats.client(chats.keys(name, device), new ChatFixture.Recorder())) {
            await(client.connect());
            return failure(client.login(name, "pw".toCharArray()));
        }
    }

    static ChatException failure(java.util.concurrent.CompletableFuture<?> future) throws Exception {
        try {
            future.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(ChatException.class);
            return (ChatException) e.getCause();
        }
        throw new AssertionError("expected a failure");
    }
}
