package dev.fastchat.crypto;

import dev.fastchat.protocol.v1.Content;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Sealing a 100-byte text for 2, 16 and 256 recipients (the sender among them), and opening it as one
 * recipient: what a sender and a receiver pay per message.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MessageSealerBenchmark {
    @Param({"2", "16", "256"})
    int recipients;

    private final SecureRandom random = new SecureRandom();
    private IdentityKeyPair sender;
    private IdentityKeyPair receiver;
    private List<MessageSealer.Recipient> keys;
    private Content content;
    private byte[] sealed;

    @Setup
    public void setUp() {
        sender = IdentityKeyPair.generate(random);
        receiver = IdentityKeyPair.generate(random);
        keys = new ArrayList<>();
        keys.add(new MessageSealer.Recipient(1, 1, sender.publicIdentity().x25519()));
        keys.add(new MessageSealer.Recipient(2, 1, receiver.publicIdentity().x25519()));
        for (int i = 3; i <= recipients; i++) {
            keys.add(new MessageSealer.Recipient(i, 1, IdentityKeyPair.generate(random).publicIdentity().x25519()));
        }
        content = Content.newBuilder().setText("x".repeat(100)).build();
        sealed = seal();
    }

    @Benchmark
    public byte[] seal() {
        return MessageSealer.seal(new MessageSealer.Sender(1, 1, sender), "g:1", "id", Instant.EPOCH, content, keys, random);
    }

    @Benchmark
    public MessageSealer.Opened open() {
        return MessageSealer.open(sealed, "g:1", 1, sender.publicIdentity().ed25519(), 2, receiver);
    }
}
