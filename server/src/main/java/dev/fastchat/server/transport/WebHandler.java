package dev.fastchat.server.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Answers the HTTP requests of a browser that are not the WebSocket upgrade: the web client's files, GET and HEAD
 * only, with headers that keep the page to its own origin (a strict Content-Security-Policy, no framing, no
 * referrer). Requests for {@code /ws} never get here: the WebSocket handler before this one takes them.
 */
@Sharable
final class WebHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    /**
     * Scripts, styles and connections from this origin only; WebAssembly (Argon2id) may be compiled; images from
     * blob: URLs (decrypted attachments) and data: URLs.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
            + "style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; "
            + "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final WebContent content;

    WebHandler(WebContent content) {
        this.content = content;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (!request.decoderResult().isSuccess()) {
            respond(ctx, text(HttpResponseStatus.BAD_REQUEST, "bad request\n"), false);
            return;
        }
        HttpMethod method = request.method();
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
            FullHttpResponse response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET and HEAD\n");
            response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            respond(ctx, response, keepAlive);
            return;
        }
        String path = new QueryStringDecoder(request.uri()).path();
        Optional<WebContent.Asset> found = content.find(path);
        if (found.isEmpty()) {
            String body = path.equals("/") ? "this FastChat server was built without its web client\n" : "not found\n";
            respond(ctx, text(HttpResponseStatus.NOT_FOUND, body), keepAlive);
            return;
        }
        WebContent.Asset asset = found.get();
        FullHttpResponse response;
        if (asset.etag().equals(request.headers().get(HttpHeaderNames.IF_NONE_MATCH))) {
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED);
        } else {
            boolean gzip = asset.gzipped() != null && acceptsGzip(request.headers());
            byte[] body = gzip ? asset.gzipped() : asset.bytes();
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    method.equals(HttpMethod.HEAD) ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, asset.contentType());
            if (gzip) {
                response.headers().set(HttpHeaderNames.CONTENT_ENCODING, HttpHeaderValues.GZIP);
            }
            HttpUtil.setContentLength(response, body.length);
        }
        response.headers()
                .set(HttpHeaderNames.ETAG, asset.etag())
                .set(HttpHeaderNames.VARY, HttpHeaderNames.ACCEPT_ENCODING)
                .set(HttpHeaderNames.CACHE_CONTROL, asset.immutable() ? "public, max-age=31536000, immutable" : "no-cache");
        respond(ctx, response, keepAlive);
    }

    private static boolean acceptsGzip(HttpHeaders headers) {
        String accepted = headers.get(HttpHeaderNames.ACCEPT_ENCODING);
        return accepted != null && accepted.contains("gzip");
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        HttpUtil.setContentLength(response, response.content().readableBytes());
        return response;
    }

    private static void respond(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        response.headers()
                .set("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .set("X-Content-Type-Options", "nosniff")
                .set("Referrer-Policy", "no-referrer")
                .set("Cross-Origin-Opener-Policy", "same-origin")
                .set("Cross-Origin-Resource-Policy", "same-origin")
                .set("X-Frame-Options", "DENY");
        if (keepAlive) {
            HttpUtil.setKeepAlive(response, true);
        }
        ChannelFuture written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
