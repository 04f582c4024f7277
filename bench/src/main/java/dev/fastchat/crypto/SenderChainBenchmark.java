package dev.fastchat.crypto;

import dev.fastchat.protocol.v1.Content;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A 100-byte text to a group of 3, 256 and 1,024 members, the sender among them, two ways: sealed to each member
 * ({@code perRecipient*}, {@link MessageSealer}, what clients did before sender chains) and once in the sender's
 * chain ({@code chain*}, {@link SenderChain}), with the chain's announcement (its key sealed to each member apart, once
 * per chain) apart. Opening is as one member. The sealed sizes: {@link #main}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SenderChainBenchmark {
    @Param({"3", "256", "1024"})
    int members;

    private final SecureRandom random = new SecureRandom();
    private IdentityKeyPair sender;
    private IdentityKeyPair receiver;
    private List<MessageSealer.Recipient> keys;
    private Content content;
    private byte[] perRecipient;
    private SenderChain.Sending sending;
    private SenderChain.Receiving receiving;
    private byte[] inChain;

    @Setup(Level.Trial)
    public void setUp() {
        sender = IdentityKeyPair.generate(random);
        receiver = IdentityKeyPair.generate(random);
        keys = new ArrayList<>();
        keys.add(new MessageSealer.Recipient(1, 1, sender.publicIdentity().x25519()));
        keys.add(new MessageSealer.Recipient(2, 1, receiver.publicIdentity().x25519()));
        for (int i = 3; i <= members; i++) {
            keys.add(new MessageSealer.Recipient(i, 1, IdentityKeyPair.generate(random).publicIdentity().x25519()));
        }
        content = Content.newBuilder().setText("x".repeat(100)).build();
        perRecipient = perRecipientSeal();
        sending = SenderChain.Sending.create(random);
        receiving = new SenderChain.Receiving("g:1", 1, sending.announcement());
        inChain = chainSeal();
    }

    @Benchmark
    public byte[] perRecipientSeal() {
        return MessageSealer.seal(new MessageSealer.Sender(1, 1, sender), "g:1", "id", Instant.EPOCH, content, keys, random);
    }

    @Benchmark
    public MessageSealer.Opened perRecipientOpen() {
        return MessageSealer.open(perRecipient, "g:1", 1, sender.publicIdentity().ed25519(), 2, receiver);
    }

    @Benchmark
    public byte[] chainSeal() {
        if (sending.nextIndex() >= SenderChain.MAX_INDEX - 1) {
            sending = SenderChain.Sending.create(random); // a benchmark outruns any real rotation
        }
        return sending.seal(new MessageSealer.Sender(1, 1, sender), "g:1", "id", Instant.EPOCH, content);
    }

    @Benchmark
    public MessageSealer.Opened chainOpen() {
        return receiving.open(inChain, "g:1", 1, sender.publicIdentity().ed25519());
    }

    /** The once-per-chain step: a new chain's key sealed to each member apart; returns the bytes in all. */
    @Benchmark
    public long chainAnnounce() {
        SenderChain.Sending chain = SenderChain.Sending.create(random);
        Content key = Content.newBuilder().setSenderKey(chain.announcement()).build();
        long bytes = 0;
        for (MessageSealer.Recipient recipient : keys) {
            bytes += MessageSealer.seal(new MessageSealer.Sender(1, 1, sender), "g:1", "chain", Instant.EPOCH, key, List.of(recipient),
                    random).length;
        }
        return bytes;
    }

    /** Prints the sealed sizes of the 100-byte text, both ways, for each group size. */
    public static void main(String[] args) {
        SenderChainBenchmark two = new SenderChainBenchmark();
        two.members = 2;
        two.setUp();
        byte[] typing = two.sending.seal(new MessageSealer.Sender(1, 1, two.sender), "d:1:2", "notice-" + java.util.UUID.randomUUID(),
                Instant.now(), Content.newBuilder().setTyping(dev.fastchat.protocol.v1.Typing.getDefaultInstance()).build());
        byte[] receipt = MessageSealer.seal(new MessageSealer.Sender(2, 1, two.receiver), "d:1:2", "receipt-" + java.util.UUID.randomUUID(),
                Instant.now(), Content.newBuilder().setReceipt(dev.fastchat.protocol.v1.Receipt.newBuilder()
                        .setKind(dev.fastchat.protocol.v1.ReceiptKind.READ).setUpToSeq(123_456)).build(),
                List.of(two.keys.getFirst()), two.random);
        System.out.printf("a typing notice sealed in a chain %,d bytes; a receipt sealed to the sender %,d bytes%n", typing.length,
                receipt.length);
        for (int size : new int[] {3, 256, 1024}) {
            SenderChainBenchmark benchmark = new SenderChainBenchmark();
            benchmark.members = size;
            benchmark.setUp();
            long announcement = benchmark.chainAnnounce();
            System.out.printf("%,d members: sealed to each %,d bytes, in a chain %,d bytes, the chain's announcement %,d bytes"
                    + " (%,d to each member)%n", size, benchmark.perRecipient.length, benchmark.inChain.length, announcement,
                    announcement / size);
        }
    }
}
