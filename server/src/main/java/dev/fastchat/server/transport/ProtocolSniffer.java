package dev.fastchat.server.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.util.List;

/**
 * Tells a browser from a native client by the first byte it sends (after TLS), and sets the rest of the pipeline up
 * for it. A native frame starts with its length, a big-endian int under 16 MiB, so its first byte is 0 or 1; an HTTP
 * request starts with a method in capital letters. Then it steps aside.
 */
final class ProtocolSniffer extends ByteToMessageDecoder {
    /** Request line and headers of one HTTP request: a browser's fit in a few KiB. */
    private static final int MAX_HTTP_HEAD_BYTES = 16 * 1024;
    /** Requests for files and the upgrade carry no body. */
    private static final int MAX_HTTP_BODY_BYTES = 8 * 1024;

    private final int maxFrameBytes;
    private final int maxLoginFrameBytes;
    private final WebHandler web;

    ProtocolSniffer(int maxFrameBytes, int maxLoginFrameBytes, WebHandler web) {
        this.maxFrameBytes = maxFrameBytes;
        this.maxLoginFrameBytes = maxLoginFrameBytes;
        this.web = web;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (!in.isReadable()) {
            return;
        }
        byte first = in.getByte(in.readerIndex());
        ChannelPipeline pipeline = ctx.pipeline();
        if (first >= 'A' && first <= 'Z') {
            pipeline.remove("encoder");
            pipeline.remove("shared-encoder");
            pipeline.addAfter(ctx.name(), "http", new HttpServerCodec(4096, MAX_HTTP_HEAD_BYTES, 8192));
            pipeline.addAfter("http", "http-aggregator", new HttpObjectAggregator(MAX_HTTP_BODY_BYTES));
            pipeline.addAfter("http-aggregator", "websocket", new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                    .websocketPath("/ws")
                    .checkStartsWith(false)
                    .handshakeTimeoutMillis(10_000)
                    .dropPongFrames(true)
                    .decoderConfig(WebSocketEnvelopes.decoderConfig(maxLoginFrameBytes))
                    .build()));
            pipeline.addAfter("websocket", "web", web);
            pipeline.addAfter("web", "websocket-envelopes", new WebSocketEnvelopes(maxFrameBytes));
        } else {
            pipeline.addAfter(ctx.name(), "decoder", new ServerFrameDecoder(maxFrameBytes, maxLoginFrameBytes));
        }
        pipeline.remove(this); // hands the bytes read so far to the handler after it
    }
}
