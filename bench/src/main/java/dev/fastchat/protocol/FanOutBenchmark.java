package dev.fastchat.protocol;

import com.google.protobuf.ByteString;
import dev.fastchat.protocol.v1.Deliver;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.Message;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One push written to the sessions of a group's members through the server's real encoders: serialized for each
 * session ({@code perSession}, as before), or serialized once and written to each as a view of the same buffer
 * ({@code once}). The sealed body is a group message in a sender chain (about 300 bytes). Scores are microseconds per
 * push to all sessions.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class FanOutBenchmark {
    @Param({"16", "256"})
    int sessions;

    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private Envelope push;

    @Setup(Level.Trial)
    public void open() {
        byte[] sealed = new byte[300];
        ThreadLocalRandom.current().nextBytes(sealed);
        push = Envelope.newBuilder().setDeliver(Deliver.newBuilder().setMessage(Message.newBuilder().setConversationId("g:42")
                .setSeq(123_456).setSenderId(7).setSenderName("alice")
                .setSealed(ByteString.copyFrom(sealed)).setServerTimeMs(System.currentTimeMillis()))).build();
        for (int i = 0; i < sessions; i++) {
            channels.add(new EmbeddedChannel(new EnvelopeEncoder(), new EncodedEnvelopeEncoder()));
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    @Benchmark
    public void perSession() {
        for (EmbeddedChannel channel : channels) {
            channel.writeOutbound(push);
            ((ByteBuf) channel.readOutbound()).release();
        }
    }

    @Benchmark
    public void once() {
        EncodedEnvelope encoded = EncodedEnvelope.of(push);
        try {
            for (EmbeddedChannel channel : channels) {
                channel.writeOutbound(encoded.share());
                ((ByteBuf) channel.readOutbound()).release();
            }
        } finally {
            encoded.release();
        }
    }
}
