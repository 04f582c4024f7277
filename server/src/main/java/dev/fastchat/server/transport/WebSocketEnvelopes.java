package dev.fastchat.server.transport;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.fastchat.protocol.EncodedEnvelope;
import dev.fastchat.protocol.v1.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The protocol over a WebSocket: one binary frame per {@link Envelope}, each way. Until the client has logged in its
 * frames may be {@code max-login-frame-bytes} long at most (the frame decoder refuses a longer one from its header,
 * before buffering it, with close code 1009), as on the native port; once a reply goes out to a logged-in client, the
 * decoder is swapped for one that takes {@code max-frame-bytes}. Text and fragmented frames are refused.
 *
 * <p>Before the WebSocket handshake the connection is plain HTTP: an envelope written to it then (a refusal, the
 * log-in timeout) cannot be sent as such, and closes it instead.
 */
final class WebSocketEnvelopes extends MessageToMessageCodec<WebSocketFrame, Object> {
    private final int maxFrameBytes;
    private boolean upgraded;
    private boolean fullFrames;

    WebSocketEnvelopes(int maxFrameBytes) {
        this.maxFrameBytes = maxFrameBytes;
    }

    /** The decoder settings of a WebSocket of this server, but for the largest frame. */
    static WebSocketDecoderConfig decoderConfig(int maxFramePayloadBytes) {
        return WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(maxFramePayloadBytes)
                .expectMaskedFrames(true)
                .allowMaskMismatch(false)
                .allowExtensions(false)
                .closeOnProtocolViolation(false) // TailExceptionHandler closes, a moment after the close frame
                .withUTF8Validator(true)
                .build();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            upgraded = true;
            if (ctx.pipeline().get(WebHandler.class) != null) {
                ctx.pipeline().remove(WebHandler.class);
            }
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
        if (frame instanceof TextWebSocketFrame || frame instanceof ContinuationWebSocketFrame || !frame.isFinalFragment()) {
            throw new CorruptedFrameException("not a whole binary frame: send one Envelope per binary WebSocket frame");
        }
        if (!(frame instanceof BinaryWebSocketFrame)) {
            return; // ping, pong and close are answered by the WebSocket handler
        }
        ByteBuf content = frame.content();
        try {
            out.add(Envelope.parseFrom(content.nioBuffer()));
        } catch (InvalidProtocolBufferException e) {
            throw new CorruptedFrameException("frame is not a valid Envelope (" + content.readableBytes() + " bytes)", e);
        }
    }

    /** Envelopes, and envelopes encoded once for many connections (pushes). */
    @Override
    public boolean acceptOutboundMessage(Object msg) {
        return msg instanceof Envelope || msg instanceof EncodedEnvelope.Shared;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Object message, List<Object> out) {
        if (message instanceof EncodedEnvelope.Shared shared && upgraded && fullFrames) {
            out.add(new BinaryWebSocketFrame(shared.payload())); // a view of the shared bytes; the codec releases shared
            return;
        }
        Envelope envelope = message instanceof EncodedEnvelope.Shared shared ? shared.envelope() : (Envelope) message;
        if (!upgraded) {
            ctx.close(); // an error for a connection still on HTTP: nothing can carry it
            return;
        }
        if (!fullFrames) {
            NettyConnection connection = NettyConnection.of(ctx.channel());
            if (connection != null && connection.state().loggedIn().isPresent()) {
                allowFullFrames(ctx);
            }
        }
        ByteBuf bytes = ctx.alloc().ioBuffer(envelope.getSerializedSize());
        try (ByteBufOutputStream stream = new ByteBufOutputStream(bytes)) {
            envelope.writeTo(stream);
        } catch (IOException e) {
            bytes.release();
            throw new UncheckedIOException(e); // a buffer of the right size does not fail
        }
        out.add(new BinaryWebSocketFrame(bytes));
    }

    /**
     * Swaps the frame decoder for one that takes frames up to {@code max-frame-bytes}. Called on the event loop while
     * it writes a reply to a logged-in client: the client can send a large frame only after it has read that reply
     * (the log-in's), so no frame of its arrives between its log-in and the swap. Bytes the old decoder held go to
     * the new one.
     */
    private void allowFullFrames(ChannelHandlerContext ctx) {
        fullFrames = true;
        ChannelHandlerContext decoder = ctx.pipeline().context(WebSocketFrameDecoder.class);
        if (decoder != null) {
            ctx.pipeline().replace(decoder.name(), decoder.name(), new WebSocket13FrameDecoder(decoderConfig(maxFrameBytes)));
        }
    }
}
