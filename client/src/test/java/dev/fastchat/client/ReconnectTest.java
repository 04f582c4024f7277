package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static dev.fastchat.client.ChatFixture.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.client.ChatFixture.Recorder;
import dev.fastchat.client.ChatFixture.User;
import dev.fastchat.crypto.KdfParams;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.testkit.TcpProxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A client whose connection is cut (through a real TCP proxy) comes back by itself and misses nothing. */
class ReconnectTest {
    @RegisterExtension
    static final ChatFixture chats = new ChatFixture();

    /** Records the connection events as words, in order. */
    static final class ConnectionEvents extends Recorder {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void disconnected(String reason) {
            events.add("disconnected");
        }

        @Override
        public void reconnecting(int attempt, Duration wait, String lastError) {
            assertThat(wait).isLessThanOrEqualTo(Duration.ofSeconds(30));
            events.add("reconnecting " + attempt);
        }

        @Override
        public void reconnected() {
            events.add("reconnected");
        }
    }

    /**
     * A client with auto-reconnect, connected through {@code proxy} (and knowing the {@code others} as further
     * addresses of its server) and logged in as {@code user}.
     */
    private static ChatClient loggedInThrough(TcpProxy proxy, String user, java.nio.file.Path keys, ConnectionEvents events,
                                              TcpProxy... others) throws Exception {
        ChatClient.Builder builder = ChatClient.builder().insecurePlaintext(true).server("127.0.0.1", proxy.port())
                .keyStoreDirectory(keys).registrationKdf(KdfParams.INSECURE_FOR_TESTS).listener(events).autoReconnect(true);
        for (TcpProxy other : others) {
            builder.server("127.0.0.1", other.port());
        }
        ChatClient client = builder.build();
        try {
            await(client.connect());
            await(client.login(user, "pw".toCharArray()));
            return client;
        } catch (Exception e) {
            client.close();
            throw e;
        }
    }

    /** A test with alice on the server, and bob's client connected through {@code proxy} with auto-reconnect. */
    @FunctionalInterface
    private interface ThroughAProxy {
        void run(User alice, String bob, ChatClient client, TcpProxy proxy, ConnectionEvents events) throws Exception;
    }

    /** Registers alice and bob, and runs {@code test} with bob logged in again through a proxy of his own, events recorded. */
    private static void withBobThroughAProxy(ThroughAProxy test) throws Exception {
        try (User alice = chats.register("alice"); User bobSetup = chats.register("bob");
             TcpProxy proxy = new TcpProxy("127.0.0.1", chats.server().port())) {
            String bob = bobSetup.name();
            bobSetup.close();
            ConnectionEvents events = new ConnectionEvents();
            try (ChatClient client = loggedInThrough(proxy, bob, chats.keys(bob, "first"), events)) {
                test.run(alice, bob, client, proxy, events);
            }
        }
    }

    @Test
    void aCutConnectionIsRepairedWithBackoffAndWhatWasSentMeanwhileArrivesOnce() throws Exception {
        withBobThroughAProxy((alice, bob, client, proxy, events) -> {
            await(alice.client().send(Target.user(bob), "before the cut"));
            eventually(() -> assertThat(events.texts()).containsExactly("before the cut"));

            proxy.cut(); // the network goes away: connections dropped, new ones refused
            eventually(() -> assertThat(events.events).contains("disconnected", "reconnecting 1"));
            await(alice.client().send(Target.user(bob), "while you were away"));
            eventually(() -> assertThat(events.events).contains("reconnecting 2")); // the first attempt failed
            proxy.restore();

            eventually(() -> assertThat(events.events).contains("reconnected"));
            eventually(() -> assertThat(events.texts()).containsExactly("before the cut", "while you were away"));
            await(alice.client().send(Target.user(bob), "after the repair"));
            eventually(() -> assertThat(events.texts()).containsExactly("before the cut", "while you were away",
                    "after the repair"));
            assertThat(await(client.send(Target.user(alice.name()), "bob is back")).seq()).isEqualTo(4);
            assertThat(events.events.getFirst()).isEqualTo("disconnected");
            assertThat(events.events.getLast()).isEqualTo("reconnected");
        });
    }

    @Test
    void aSendWhoseAckIsLostInTheFailoverIsReportedByTheSendAloneNotAsAReceivedMessage() throws Exception {
        withBobThroughAProxy((alice, bob, client, proxy, events) -> {
            await(alice.client().send(Target.user(bob), "hello"));
            eventually(() -> assertThat(events.texts()).containsExactly("hello"));
            await(client.send(Target.user(alice.name()), "hi")); // bob's sender chain is announced and in use

            proxy.holdReplies(); // the server stores the message; its ack never reaches bob
            var sending = client.send(Target.user(alice.name()), "mine");
            eventually(() -> assertThat(alice.events().texts()).contains("mine"));
            proxy.cut();
            proxy.restore();

            // After the reconnect, the catch-up sync finds "mine" before the retried send is answered.
            assertThat(await(sending).seq()).isEqualTo(3);
            eventually(() -> assertThat(events.events).contains("reconnected"));
            await(alice.client().send(Target.user(bob), "after"));
            eventually(() -> assertThat(events.texts()).containsExactly("hello", "after"));
            assertThat(alice.events().texts()).containsExactly("hi", "mine");
        });
    }

    @Test
    void aNewChainsFirstMessageGoesOutRightBehindItsAnnouncementWithoutWaitingForItsAck() throws Exception {
        withBobThroughAProxy((alice, bob, client, proxy, events) -> {
            await(alice.client().send(Target.user(bob), "hello"));
            eventually(() -> assertThat(events.texts()).containsExactly("hello")); // bob knows alice's keys now

            proxy.holdReplies(); // nothing the server answers reaches bob: not the ack of his new chain's announcement
            var sending = client.send(Target.user(alice.name()), "hi");
            eventually(() -> assertThat(alice.events().texts()).containsExactly("hi"));
            assertThat(sending).isNotDone();
            proxy.cut();
            proxy.restore();

            // Sent again on the new connection, the same message gets its first ack: stored once.
            assertThat(await(sending).seq()).isEqualTo(2);
            await(client.send(Target.user(alice.name()), "in the same chain"));
            eventually(() -> assertThat(alice.events().texts()).containsExactly("hi", "in the same chain"));
        });
    }

    @Test
    void aNewChainsAnnouncementLostWithTheConnectionIsMadeAgainAndItsMessageStoredOnce() throws Exception {
        withBobThroughAProxy((alice, bob, client, proxy, events) -> {
            await(alice.client().send(Target.user(bob), "hello"));
            eventually(() -> assertThat(events.texts()).containsExactly("hello"));

            proxy.holdRequests(); // what bob sends now never reaches the server: his new chain's announcement, the message
            var sending = client.send(Target.user(alice.name()), "hi");
            eventually(() -> assertThat(requests(proxy.heldRequests()))
                    .contains(Envelope.BodyCase.ANNOUNCE_CHAIN, Envelope.BodyCase.SEND));
            proxy.cut();
            proxy.restore();

            // Sent again on the new connection, the message is refused for its unknown chain and goes behind a new one.
            assertThat(await(sending).seq()).isEqualTo(2);
            eventually(() -> assertThat(alice.events().texts()).containsExactly("hi"));
            await(client.send(Target.user(alice.name()), "in the same chain"));
            eventually(() -> assertThat(alice.events().texts()).containsExactly("hi", "in the same chain"));
        });
    }

    @Test
    void aNewChainsFirstMessageOpensWithTheSendersKeysPushedWithItsAnnouncementWithoutALookup() throws Exception {
        withBobThroughAProxy((alice, bob, client, proxy, events) -> {
            proxy.holdRequests(); // bob can ask the server nothing now: not alice's keys, not her chain
            await(alice.client().send(Target.user(bob), "hello"));
            eventually(() -> assertThat(events.texts()).containsExactly("hello"));
            assertThat(requests(proxy.heldRequests())).doesNotContain(Envelope.BodyCase.KEY_LOOKUP, Envelope.BodyCase.GET_CHAIN);
            // What the push brought is held against bob's pins as a lookup's answer is: alice's keys, pinned on first use.
            assertThat(events.messages).singleElement().satisfies(message -> assertThat(message.trust()).isEqualTo(KeyTrust.FIRST_USE));
        });
    }

    /** The kinds of the whole frames in {@code bytes}, in order. */
    private static List<Envelope.BodyCase> requests(byte[] bytes) throws Exception {
        List<Envelope.BodyCase> kinds = new java.util.ArrayList<>();
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
        while (buffer.remaining() >= Integer.BYTES) {
            int length = buffer.getInt();
            if (buffer.remaining() < length) {
                break;
            }
            byte[] frame = new byte[length];
            buffer.get(frame);
            kinds.add(Envelope.parseFrom(frame).getBodyCase());
        }
        return kinds;
    }

    @Test
    void aPreparedMessageWhoseAckIsLostInTheFailoverIsSentAgainOnTheNewConnectionAndStoredOnce() throws Exception {
        withBobThroughAProxy((alice, bob, client, proxy, events) -> {
            await(client.send(Target.user(alice.name()), "hi"));
            PreparedMessage prepared = await(client.prepare(Target.user(alice.name()), "prepared"));

            proxy.holdReplies(); // the server stores the message; its ack never reaches bob
            var sending = client.sendPrepared(prepared);
            eventually(() -> assertThat(alice.events().texts()).contains("prepared"));
            proxy.cut();
            proxy.restore();

            assertThat(await(sending).seq()).isEqualTo(2); // sent again once reconnected, answered as the first time
            eventually(() -> assertThat(events.events).contains("reconnected"));
            assertThat(await(client.history(Target.user(alice.name()), 0, 10))).extracting(ChatMessage::text)
                    .containsExactly("prepared", "hi");
            assertThat(alice.events().texts()).containsExactly("hi", "prepared");
        });
    }

    @Test
    void closingTheClientStopsReconnecting() throws Exception {
        try (User alice = chats.register("alice"); TcpProxy proxy = new TcpProxy("127.0.0.1", chats.server().port())) {
            alice.close();
            ConnectionEvents events = new ConnectionEvents();
            ChatClient client = loggedInThrough(proxy, alice.name(), chats.dir().resolve("keys-" + alice.name() + "-first"), events);
            proxy.cut();
            eventually(() -> assertThat(events.events).contains("reconnecting 1"));
            client.close();
            proxy.restore();
            int seen = events.events.size();
            org.awaitility.Awaitility.await().during(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(5))
                    .until(() -> events.events.size() == seen); // longer than the first backoff steps
            assertThat(events.events).doesNotContain("reconnected");
            assertThat(client.isConnected()).isFalse();
        }
    }

    @Test
    void requestsMadeWhileTheConnectionIsDownWaitForTheResumedSessionInsteadOfFailing() throws Exception {
        withBobThroughAProxy((alice, bob, client, proxy, events) -> {
            await(client.send(Target.user(alice.name()), "first"));
            proxy.cut();
            eventually(() -> assertThat(events.events).contains("disconnected"));
            // Asked while there is no connection: each waits for the session to be back, none fails.
            var history = client.history(Target.user(alice.name()), 0, 10);
            var groups = client.groups().list();
            var sent = client.send(Target.user(alice.name()), "typed during the outage");
            eventually(() -> assertThat(events.events).contains("reconnecting 2"));
            assertThat(history).isNotDone();
            assertThat(sent).isNotDone();
            proxy.restore();

            // (the send may be stored before the history is read: both waited for the same resumed session)
            assertThat(await(history)).extracting(ChatMessage::text).endsWith("first").hasSizeBetween(1, 2);
            assertThat(await(groups)).isEmpty();
            assertThat(await(sent).seq()).isEqualTo(2);
            eventually(() -> assertThat(alice.events().texts()).containsExactly("first", "typed during the outage"));
        });
    }

    @Test
    void aNodeThatStopsAnsweringIsLeftWithinTheStallTimeoutForAnother() throws Exception {
        try (User alice = chats.register("alice"); User bobSetup = chats.register("bob");
             TcpProxy hung = new TcpProxy("127.0.0.1", chats.server().port());
             TcpProxy other = new TcpProxy("127.0.0.1", chats.server().port())) {
            String bob = bobSetup.name();
            bobSetup.close();
            ConnectionEvents events = new ConnectionEvents();
            try (ChatClient client = loggedInThrough(hung, bob, chats.keys(bob, "first"), events, other)) {
                // The node freezes (as a paused process or a link dead one way): the connection stays open, silent.
                hung.holdReplies();
                long frozen = System.nanoTime();
                eventually(() -> assertThat(events.events).contains("disconnected"));
                double detected = (System.nanoTime() - frozen) / 1e9;
                assertThat(detected).as("noticed after %.1f s", detected).isLessThan(7);
                eventually(() -> assertThat(events.events).contains("reconnected"));
                await(alice.client().send(Target.user(bob), "through the other node"));
                eventually(() -> assertThat(events.texts()).containsExactly("through the other node"));
            }
        }
    }
}
