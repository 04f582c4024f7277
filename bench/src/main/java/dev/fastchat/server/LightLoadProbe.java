package dev.fastchat.server;

import com.google.protobuf.ByteString;
import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.crypto.MessageSealer;
import dev.fastchat.protocol.ConversationId;
import dev.fastchat.protocol.v1.Content;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.GetUnread;
import dev.fastchat.protocol.v1.Ping;
import dev.fastchat.protocol.v1.Send;
import dev.fastchat.server.config.HostAndPort;
import dev.fastchat.server.testing.WireClient;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Latency at a light, steady load, with nothing but the server in the way: one blocking plain-TCP connection sends a
 * presealed direct message every {@code 1/rate} s and waits for its ack, while a second one reads the pushes; then the
 * same connection sends a {@code Ping} and a {@code GetUnread} (a database read) at the same rate. The first fifth of
 * each series is left out (warm-up). Bounded by its arguments.
 *
 * <p>Usage, against a server started with {@code fastchat server --insecure-plaintext --set min-kdf-memory-kib=8
 * --set min-kdf-iterations=1} (the probe registers with a cheap key derivation):
 * {@code java -cp bench/target/benchmarks.jar dev.fastchat.server.LightLoadProbe HOST:PORT RATE COUNT [--each]}. With
 * {@code --each} it also prints each message's send to ack and send to push, the first ones included: against a server
 * just started, its first messages.
 */
public final class LightLoadProbe {
    public static void main(String[] args) throws Exception {
        HostAndPort at = HostAndPort.parse(args[0]);
        int rate = Integer.parseInt(args[1]);
        int count = Integer.parseInt(args[2]);
        SecureRandom random = new SecureRandom();
        IdentityKeyPair aliceKeys = IdentityKeyPair.generate(random);
        IdentityKeyPair bobKeys = IdentityKeyPair.generate(random);
        try (WireClient alice = WireClient.connect(at); WireClient bob = WireClient.connect(at)) {
            alice.hello();
            bob.hello();
            long a = accountOf(alice.register(WireClient.uniqueName("probe"), WireClient.random(32), aliceKeys));
            long b = accountOf(bob.register(WireClient.uniqueName("probe"), WireClient.random(32), bobKeys));
            String conversation = ConversationId.direct(a, b).value();
            List<MessageSealer.Recipient> recipients = List.of(new MessageSealer.Recipient(a, 1, aliceKeys.publicIdentity().x25519()),
                    new MessageSealer.Recipient(b, 1, bobKeys.publicIdentity().x25519()));
            byte[][] sealed = new byte[count][];
            for (int i = 0; i < count; i++) {
                sealed[i] = MessageSealer.seal(new MessageSealer.Sender(a, 1, aliceKeys), conversation, "p" + i, Instant.now(),
                        Content.newBuilder().setText("probe " + i).build(), recipients, random);
            }
            long[] sentAt = new long[count];
            long[] ack = new long[count];
            long[] pushedAt = new long[count];
            Thread reader = Thread.ofPlatform().start(() -> {
                for (int got = 0; got < count; ) {
                    Envelope push = bob.read();
                    if (push.hasDeliver()) {
                        pushedAt[(int) push.getDeliver().getMessage().getSeq() - 1] = System.nanoTime();
                        got++;
                    }
                }
            });
            long interval = 1_000_000_000L / rate;
            long start = System.nanoTime() + 100_000_000L;
            for (int i = 0; i < count; i++) {
                waitUntil(start + i * interval);
                sentAt[i] = System.nanoTime();
                Envelope answer = alice.call(Envelope.newBuilder().setSend(Send.newBuilder().setConversationId(conversation)
                        .setClientMsgId("p" + i).setSealed(ByteString.copyFrom(sealed[i]))));
                ack[i] = System.nanoTime() - sentAt[i];
                if (!answer.hasSendAck()) {
                    throw new IllegalStateException("not acknowledged: " + answer);
                }
            }
            reader.join(10_000);
            if (args.length > 3 && args[3].equals("--each")) {
                for (int i = 0; i < count; i++) {
                    System.out.printf("message %d: send to ack %.2f ms, send to push %.2f ms%n", i + 1, ack[i] / 1e6,
                            (pushedAt[i] - sentAt[i]) / 1e6);
                }
            }
            long[] push = new long[count];
            for (int i = 0; i < count; i++) {
                push[i] = pushedAt[i] - sentAt[i];
            }
            long[] ping = new long[count];
            long[] read = new long[count];
            start = System.nanoTime() + interval;
            for (int i = 0; i < count; i++) {
                waitUntil(start + i * interval);
                long t = System.nanoTime();
                alice.call(Envelope.newBuilder().setPing(Ping.getDefaultInstance()));
                long t2 = System.nanoTime();
                alice.call(Envelope.newBuilder().setGetUnread(GetUnread.getDefaultInstance()));
                ping[i] = t2 - t;
                read[i] = System.nanoTime() - t2;
            }
            System.out.printf("%d/s: send to ack %s; send to push %s; Ping %s; GetUnread %s%n", rate, summary(ack), summary(push),
                    summary(ping), summary(read));
        }
    }

    private static long accountOf(Envelope registered) {
        if (!registered.hasSession()) {
            throw new IllegalStateException("registration refused (start the server with the settings in the usage): " + registered);
        }
        return registered.getSession().getAccountId();
    }

    private static void waitUntil(long due) {
        while (System.nanoTime() < due) {
            LockSupport.parkNanos(due - System.nanoTime());
        }
    }

    private static String summary(long[] nanos) {
        long[] kept = Arrays.stream(nanos).skip(nanos.length / 5).sorted().toArray();
        return String.format("p50 %.2f ms p90 %.2f ms", kept[kept.length / 2] / 1e6, kept[kept.length * 9 / 10] / 1e6);
    }
}
