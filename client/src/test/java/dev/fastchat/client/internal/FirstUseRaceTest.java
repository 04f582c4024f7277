package dev.fastchat.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.fastchat.client.ChatListener;
import dev.fastchat.client.Target;
import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.IdentityKeys;
import dev.fastchat.protocol.v1.KeyBundle;
import dev.fastchat.protocol.v1.Ok;
import dev.fastchat.protocol.v1.UserKeys;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two threads of one client meet a contact for the first time at once (a send and a delivery, say): both must see
 * the key as trusted on first use. Before, one could read "no pin of the account" just before the other pinned it,
 * then "a pin of the name" just after, and take the contact's key for a changed one (UNTRUSTED_KEY on a send).
 */
class FirstUseRaceTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int THREADS = 8;

    @TempDir
    Path dir;

    @Test
    void aContactMetByManyThreadsAtOnceIsTrustedOnFirstUseByAll() throws Exception {
        IdentityKeyPair bobKeys = IdentityKeyPair.generate(RANDOM);
        UserKeys bob = UserKeys.newBuilder().setAccountId(2).setUsername("bob").setIdentity(IdentityKeys.newBuilder().setKeyId(1)
                .setX25519Public(ByteString.copyFrom(bobKeys.publicIdentity().x25519()))
                .setEd25519Public(ByteString.copyFrom(bobKeys.publicIdentity().ed25519()))).build();
        java.util.function.Function<Envelope.Builder, CompletableFuture<Envelope>> rpc = request -> CompletableFuture.completedFuture(
                request.hasKeyLookup() ? Envelope.newBuilder().setKeyBundle(KeyBundle.newBuilder().addUsers(bob)).build()
                        : Envelope.newBuilder().setOk(Ok.getDefaultInstance()).build());
        IdentityKeyPair myKeys = IdentityKeyPair.generate(RANDOM);
        List<Messenger> used = new ArrayList<>();
        try (var threads = Executors.newFixedThreadPool(THREADS)) {
            for (int round = 0; round < 1000; round++) {
                Messenger messenger = new Messenger(rpc, 1, "me", 1, myKeys, "server-1", new LocalKeyStore(dir.resolve("r" + round)),
                        RANDOM, Clock.systemUTC(), new ChatListener() {}, new SerialExecutor(Runnable::run), Messenger.DEFAULT_REMEMBERED);
                messenger.user("bob"); // served once: the threads race on the pin only
                CyclicBarrier start = new CyclicBarrier(THREADS);
                List<Future<?>> addressed = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    addressed.add(threads.submit(() -> {
                        start.await();
                        return messenger.address(Target.user("bob"));
                    }));
                }
                for (Future<?> each : addressed) {
                    assertThat(each.get()).as("round %d", round).isNotNull(); // fails with UNTRUSTED_KEY when the race is lost
                }
                used.add(messenger);
            }
        }
        for (Messenger messenger : used) { // the pins' pushes (all under way at once) end before the folder goes
            messenger.flushTrust(java.time.Duration.ofSeconds(5));
            messenger.close();
        }
    }
}
