package dev.fastchat.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.Hello;
import dev.fastchat.protocol.v1.Ping;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EnvelopeCodecTest {

    private static final Envelope HELLO = Envelope.newBuilder()
            .setRequestId(7)
            .setHello(Hello.newBuilder().setProtocolVersion(1).setClient("test/1 \u00e9\u6f22"))
            .build();

    private static ByteBuf encode(Envelope envelope) {
        EmbeddedChannel channel = new EmbeddedChannel(new EnvelopeEncoder());
        channel.writeOutbound(envelope);
        ByteBuf encoded = channel.readOutbound();
        channel.finishAndReleaseAll();
        return encoded;
    }

    @Test
    void roundTripsAnEnvelope() {
        EmbeddedChannel channel = new EmbeddedChannel(new EnvelopeDecoder(1024));
        channel.writeInbound(encode(HELLO));
        assertThat((Envelope) channel.readInbound()).isEqualTo(HELLO);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void encodesLengthPrefixBigEndian() {
        ByteBuf encoded = encode(HELLO);
        assertThat(encoded.getInt(0)).isEqualTo(HELLO.getSerializedSize());
        assertThat(encoded.readableBytes()).isEqualTo(4 + HELLO.getSerializedSize());
        encoded.release();
    }

    @Test
    void frameSplitIntoSingleBytesIsReassembled() {
        EmbeddedChannel channel = new EmbeddedChannel(new EnvelopeDecoder(1024));
        ByteBuf encoded = encode(HELLO);
        while (encoded.isReadable()) {
            assertThat((Object) channel.readInbound()).isNull();
            channel.writeInbound(encoded.readRetainedSlice(1));
        }
        encoded.release();
        assertThat((Envelope) channel.readInbound()).isEqualTo(HELLO);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void severalFramesInOneWriteAreSplit() {
        EmbeddedChannel channel = new EmbeddedChannel(new EnvelopeDecoder(1024));
        Envelope ping = Envelope.newBuilder().setRequestId(8).setPing(Ping.getDefaultInstance()).build();
        channel.writeInbound(Unpooled.wrappedBuffer(encode(HELLO), encode(ping), encode(HELLO)));
        assertThat((Envelope) channel.readInbound()).isEqualTo(HELLO);
        assertThat((Envelope) channel.readInbound()).isEqualTo(ping);
        assertThat((Envelope) channel.readInbound()).isEqualTo(HELLO);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void oversizedFrameFailsFastOnItsLengthPrefix() {
        EmbeddedChannel channel = new EmbeddedChannel(new EnvelopeDecoder(1024));
        ByteBuf prefixOnly = Unpooled.buffer(4).writeInt(1025);
        assertThatThrownBy(() -> channel.writeInbound(prefixOnly)).isInstanceOf(TooLongFrameException.class);
        channel.finishAndReleaseAll();
    }

    @Test
    void frameAtExactlyTheLimitIsAccepted() {
        Envelope big = Envelope.newBuilder()
                .setRequestId(1)
                .setHello(Hello.newBuilder().setClient("x".repeat(1000)))
                .build();
        EmbeddedChannel channel = new EmbeddedChannel(new EnvelopeDecoder(big.getSerializedSize()));
        channel.writeInbound(encode(big));
        assertThat((Envelope) channel.readInbound()).isEqualTo(big);
        EmbeddedChannel tooSmall = new EmbeddedChannel(new EnvelopeDecoder(big.getSerializedSize() - 1));
        assertThatThrownBy(() -> tooSmall.writeInbound(encode(big))).isInstanceOf(TooLongFrameException.class);
        tooSmall.finishAndReleaseAll();
    }

    @Test
    void garbageBodyIsACorruptedFrame() {
        EmbeddedChannel channel = new EmbeddedChannel(new EnvelopeDecoder(1024));
        byte[] garbage = "\u00ff\u00ff\u00ff\u00ff not protobuf".getBytes(StandardCharsets.ISO_8859_1);
        ByteBuf frame = Unpooled.buffer().writeInt(garbage.length).writeBytes(garbage);
        assertThatThrownBy(() -> channel.writeInbound(frame))
                .isInstanceOf(DecoderException.class)
                .hasRootCauseInstanceOf(com.google.protobuf.InvalidProtocolBufferException.class)
                .isInstanceOf(CorruptedFrameException.class);
        channel.finishAndReleaseAll();
    }

    @Test
    void truncatedFrameYieldsNothingUntilComplete() {
        EmbeddedChannel channel = new EmbeddedChannel(new EnvelopeDecoder(1024));
        ByteBuf encoded = encode(HELLO);
        channel.writeInbound(encoded.readRetainedSlice(encoded.readableBytes() - 1));
        assertThat((Object) channel.readInbound()).isNull();
        channel.writeInbound(encoded);
        assertThat((Envelope) channel.readInbound()).isEqualTo(HELLO);
        channel.finishAndReleaseAll();
    }

    @Test
    void unknownBodyTypeParsesAsBodyNotSet() {
        // Field 999, varint 1: a body type from a newer protocol this build does not know.
        byte[] unknown = {(byte) 0xB8, 0x3E, 0x01, 0x08, 0x05};
        EmbeddedChannel channel = new EmbeddedChannel(new EnvelopeDecoder(1024));
        channel.writeInbound(Unpooled.buffer().writeInt(unknown.length).writeBytes(unknown));
        Envelope envelope = channel.readInbound();
        assertThat(envelope.getRequestId()).isEqualTo(5);
        assertThat(envelope.getBodyCase()).isEqualTo(Envelope.BodyCase.BODY_NOT_SET);
        channel.finishAndReleaseAll();
    }

    @Test
    void namesAreCaseFoldedAndValidated() {
        assertThat(Names.canonical("Alice")).contains("alice");
        assertThat(Names.canonical("bob_1.x-y")).contains("bob_1.x-y");
        assertThat(Names.canonical("ab")).isEmpty();
        assertThat(Names.canonical("_alice")).isEmpty();
        assertThat(Names.canonical("al ice")).isEmpty();
        assertThat(Names.canonical("al'ice")).isEmpty();
        assertThat(Names.canonical("a\"b\"c")).isEmpty();
        assertThat(Names.canonical("x'; DROP TABLE accounts; --")).isEmpty();
        assertThat(Names.canonical("a".repeat(32))).isPresent();
        assertThat(Names.canonical("a".repeat(33))).isEmpty();
        assertThat(Names.canonical("a".repeat(500))).isEmpty();
        assertThat(Names.canonical(null)).isEmpty();
        // Non-ASCII letters that fold to ASCII (Kelvin sign) must not sneak in.
        assertThat(Names.canonical("\u212Aelvin")).isEmpty();
    }
}
