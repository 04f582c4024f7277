package dev.fastchat.protocol;

import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.Hello;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Encoding and decoding of one framed envelope (about 1 KiB) through the Netty codec. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class EnvelopeCodecBenchmark {
    private EmbeddedChannel encoder;
    private EmbeddedChannel decoder;
    private Envelope envelope;

    @Setup
    public void setUp() {
        encoder = new EmbeddedChannel(new EnvelopeEncoder());
        decoder = new EmbeddedChannel(new EnvelopeDecoder(FrameLimits.DEFAULT_MAX_FRAME_BYTES));
        envelope = Envelope.newBuilder().setRequestId(123456)
                .setHello(Hello.newBuilder().setProtocolVersion(1).setClient("x".repeat(1000))).build();
    }

    @Benchmark
    public Envelope roundTrip() {
        encoder.writeOutbound(envelope);
        ByteBuf frame = encoder.readOutbound();
        decoder.writeInbound(frame);
        return decoder.readInbound();
    }
}
