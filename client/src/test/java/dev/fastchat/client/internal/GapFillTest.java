package dev.fastchat.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.fastchat.client.ChatException;
import dev.fastchat.client.ChatListener;
import dev.fastchat.client.ChatMessage;
import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.crypto.MessageSealer;
import dev.fastchat.protocol.ConversationId;
import dev.fastchat.protocol.v1.Content;
import dev.fastchat.protocol.v1.ConversationKind;
import dev.fastchat.protocol.v1.Deliver;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.IdentityKeys;
import dev.fastchat.protocol.v1.KeyBundle;
import dev.fastchat.protocol.v1.Message;
import dev.fastchat.protocol.v1.Ok;
import dev.fastchat.protocol.v1.TrustState;
import dev.fastchat.protocol.v1.UserKeys;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A push that shows an earlier message is missing, when the fetch of what is missing fails (the connection failed
 * over, say): the pushed message must not be shown before the one ahead of it. The fetch is tried again and brings
 * both, in order. (Before, the push was shown at once and the earlier message after it, when it came.) And a gap's
 * fetch that opens messages a push opens at the same time reports each of them once; so does a messenger that
 * remembers few message ids, for the newest of them. A push the load generator's sampler leaves unopened is counted
 * on the network thread when nothing waits on the event thread, and waits there when a gap before it is fetched.
 */
class GapFillTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    private static final long ME = 1;
    private static final long BOB = 2;

    private final IdentityKeyPair myKeys = IdentityKeyPair.generate(RANDOM);
    private final IdentityKeyPair bobKeys = IdentityKeyPair.generate(RANDOM);
    private final String conversation = ConversationId.direct(ME, BOB).value();
    private final SerialExecutor events = new SerialExecutor(Executors.newVirtualThreadPerTaskExecutor());

    /** Bob's message {@code seq} of his direct conversation with me, sealed to me. */
    private Message fromBob(long seq, String text) {
        return message(conversation, seq, BOB, bobKeys, ME, myKeys, text);
    }

    /** My messenger, with a server of the rpc calls it makes here: bob's keys, the trust state, and nothing else. */
    private Messenger messenger(ChatListener listener) {
        return messenger(listener, Messenger.DEFAULT_REMEMBERED);
    }

    private Messenger messenger(ChatListener listener, int remembered) {
        UserKeys bobServed = UserKeys.newBuilder().setAccountId(BOB).setUsername("bob").setIdentity(IdentityKeys.newBuilder().setKeyId(1)
                .setX25519Public(ByteString.copyFrom(bobKeys.publicIdentity().x25519()))
                .setEd25519Public(ByteString.copyFrom(bobKeys.publicIdentity().ed25519()))).build();
        java.util.function.Function<Envelope.Builder, CompletableFuture<Envelope>> rpc = request -> CompletableFuture.completedFuture(
                switch (request.getBodyCase()) {
                    case KEY_LOOKUP -> Envelope.newBuilder().setKeyBundle(KeyBundle.newBuilder().addUsers(bobServed)).build();
                    case GET_TRUST_STATE -> Envelope.newBuilder().setTrustState(TrustState.getDefaultInstance()).build();
                    default -> Envelope.newBuilder().setOk(Ok.getDefaultInstance()).build();
                });
        return new Messenger(rpc, ME, "me", 1, myKeys, "server-1", new LocalKeyStore(dir), RANDOM, Clock.systemUTC(), listener, events,
                remembered);
    }

    @Test
    void aPushAfterAGapThatCannotBeFilledNowIsShownAfterWhatComesBeforeIt() {
        List<Message> stored = List.of(fromBob(1, "first"), fromBob(2, "second"), fromBob(3, "third"));
        List<Long> shown = new CopyOnWriteArrayList<>();
        Messenger messenger = messenger(new ChatListener() {
            @Override
            public void message(ChatMessage message) {
                shown.add(message.seq());
            }
        });
        AtomicInteger fetches = new AtomicInteger();
        messenger.fillGapsWith(new Messenger.Backfill() {
            @Override
            public List<ChatMessage> all() {
                fetches.incrementAndGet();
                return messenger.openAll(stored, true);
            }

            @Override
            public List<ChatMessage> conversation(String conversationId, boolean fromReadCursor) {
                fetches.incrementAndGet();
                throw new ChatException(ErrorCode.UNAVAILABLE, "the connection failed over"); // the first fetch fails
            }
        });

        messenger.onPush(Envelope.newBuilder().setDeliver(Deliver.newBuilder().setMessage(stored.get(0))).build());
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> shown.size() == 1);
        messenger.onPush(Envelope.newBuilder().setDeliver(Deliver.newBuilder().setMessage(stored.get(2))).build());

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> shown.size() == 3);
        assertThat(shown).containsExactly(1L, 2L, 3L);
        assertThat(fetches).hasValue(2);
        messenger.close();
    }

    @Test
    void aMessageOpenedOnTwoThreadsAtOnceIsReportedOnce() throws Exception {
        List<Message> stored = new java.util.ArrayList<>();
        for (int seq = 1; seq <= 200; seq++) {
            stored.add(fromBob(seq, "m" + seq));
        }
        Messenger messenger = messenger(new ChatListener() { });
        // As a push and the background fetch of its conversation's backlog do: the same messages, at the same time.
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.Callable<Integer> opener = () -> {
            start.await();
            return messenger.openAll(stored, true).size();
        };
        try (var threads = Executors.newFixedThreadPool(2)) {
            var first = threads.submit(opener);
            var second = threads.submit(opener);
            assertThat(first.get() + second.get()).isEqualTo(stored.size());
        }
        messenger.close();
    }

    @Test
    void aMessengerThatRemembersFewMessageIdsReportsEachOnceAndForgetsOnlyTheOldest() {
        List<Message> stored = new java.util.ArrayList<>();
        for (int seq = 1; seq <= 20; seq++) {
            stored.add(fromBob(seq, "m" + seq));
        }
        Messenger few = messenger(new ChatListener() { }, 8);
        assertThat(few.openAll(stored, true)).hasSize(20);
        assertThat(few.openAll(stored.subList(12, 20), true)).as("the newest 8, pushed again").isEmpty();
        assertThat(few.openAll(stored.subList(0, 1), true)).as("the oldest is forgotten: its limit is what the option trades")
                .extracting(ChatMessage::seq).containsExactly(1L);
        few.close();

        Messenger many = messenger(new ChatListener() { });
        assertThat(many.openAll(stored, true)).hasSize(20);
        assertThat(many.openAll(stored, true)).as("by default, every one of them is remembered").isEmpty();
        many.close();
    }

    /** A sampler that opens the messages of the given seqs, and records on which thread it heard of each of the others. */
    private static final class Sampler implements dev.fastchat.client.PushSampler {
        private final java.util.Set<Long> opened;
        final java.util.Map<Long, Thread> unopened = new java.util.concurrent.ConcurrentHashMap<>();

        Sampler(Long... opened) {
            this.opened = java.util.Set.of(opened);
        }

        @Override
        public boolean open(String conversationId, long seq, long senderId) {
            return opened.contains(seq);
        }

        @Override
        public void unopened(String conversationId, long seq, long senderId) {
            unopened.put(seq, Thread.currentThread());
        }
    }

    /**
     * My messenger with this sampler, whose listener adds the seq of each message shown to {@code shown} and whose gap fills
     * fetch what {@code missing} gives; bob's message 1 is pushed, shown, and the event thread idle again.
     */
    private Messenger sampling(Sampler sampler, List<Long> shown, java.util.function.Function<Messenger, List<ChatMessage>> missing,
                               Message first) {
        Messenger messenger = messenger(new ChatListener() {
            @Override
            public void message(ChatMessage message) {
                shown.add(message.seq());
            }
        });
        messenger.pushSampler(sampler);
        messenger.fillGapsWith(new Messenger.Backfill() {
            @Override
            public List<ChatMessage> all() {
                return List.of();
            }

            @Override
            public List<ChatMessage> conversation(String conversationId, boolean fromReadCursor) {
                return missing.apply(messenger);
            }
        });
        push(messenger, first);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> shown.size() == 1);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(events::idle);
        return messenger;
    }

    private static void push(Messenger messenger, Message message) {
        messenger.onPush(Envelope.newBuilder().setDeliver(Deliver.newBuilder().setMessage(message)).build());
    }

    @Test
    void aPushLeftUnopenedIsCountedOnTheNetworkThreadWhenNothingWaitsOnTheEventThread() {
        List<Message> stored = List.of(fromBob(1, "first"), fromBob(2, "second"));
        List<Long> shown = new CopyOnWriteArrayList<>();
        Sampler sampler = new Sampler(1L);
        Messenger messenger = sampling(sampler, shown, m -> {
            throw new AssertionError("nothing is missing");
        }, stored.get(0));

        push(messenger, stored.get(1));
        assertThat(sampler.unopened).as("counted before onPush returned, on its thread").containsEntry(2L, Thread.currentThread());
        push(messenger, stored.get(1));
        assertThat(sampler.unopened).as("a message pushed twice is counted once").hasSize(1);
        assertThat(shown).containsExactly(1L);
        messenger.close();
    }

    @Test
    void aPushLeftUnopenedAfterAGapWaitsOnTheEventThreadForWhatComesBeforeIt() {
        List<Message> stored = List.of(fromBob(1, "first"), fromBob(2, "second"), fromBob(3, "third"));
        List<Long> shown = new CopyOnWriteArrayList<>();
        Sampler sampler = new Sampler(1L, 2L);
        java.util.concurrent.atomic.AtomicInteger fetches = new java.util.concurrent.atomic.AtomicInteger();
        Messenger messenger = sampling(sampler, shown, m -> {
            fetches.incrementAndGet();
            return m.openAll(stored.subList(1, 2), true);
        }, stored.get(0));

        push(messenger, stored.get(2)); // 2 is missing

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sampler.unopened.containsKey(3L));
        assertThat(fetches).hasValue(1);
        assertThat(shown).as("the missing message first").containsExactly(1L, 2L);
        assertThat(sampler.unopened.get(3L)).as("the fetch ran off the network thread").isNotSameAs(Thread.currentThread());
        messenger.close();
    }

    private static Message message(String conversation, long seq, long sender, IdentityKeyPair senderKeys, long recipient,
                                   IdentityKeyPair recipientKeys, String text) {
        byte[] sealed = MessageSealer.seal(new MessageSealer.Sender(sender, 1, senderKeys), conversation, "m-" + seq, Instant.now(),
                Content.newBuilder().setText(text).build(),
                List.of(new MessageSealer.Recipient(recipient, 1, recipientKeys.publicIdentity().x25519())), RANDOM);
        return Message.newBuilder().setConversationId(conversation).setSeq(seq).setSenderId(sender).setSenderName("bob")
                .setSealed(ByteString.copyFrom(sealed)).setServerTimeMs(System.currentTimeMillis())
                .setKind(ConversationKind.DIRECT).build();
    }
}
