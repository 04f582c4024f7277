package dev.fastchat.server.testing;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.fastchat.protocol.v1.Envelope;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;

/** The protocol over a WebSocket, as a browser speaks it (one binary frame per Envelope), with the JDK's client. */
public final class WebSocketWire implements AutoCloseable {
    /** How a connection ended: the close code (1006 when it broke without a close frame) and reason. */
    public record Closed(int code, String reason) {}

    private final WebSocket socket;
    private final BlockingQueue<Envelope> received;
    private final CompletableFuture<Closed> closed;
    private final AtomicLong ids = new AtomicLong();

    private WebSocketWire(WebSocket socket, BlockingQueue<Envelope> received, CompletableFuture<Closed> closed) {
        this.socket = socket;
        this.received = received;
        this.closed = closed;
    }

    /** Connects to {@code uri} (ws:// or wss://; for wss, trusting {@code tls}). */
    public static WebSocketWire connect(URI uri, SSLContext tls) {
        BlockingQueue<Envelope> received = new LinkedBlockingQueue<>();
        CompletableFuture<Closed> closed = new CompletableFuture<>();
        WebSocket.Listener listener = new WebSocket.Listener() {
            private final ByteArrayOutputStream parts = new ByteArrayOutputStream();

            @Override
            public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
                byte[] bytes = new byte[data.remaining()];
                data.get(bytes);
                parts.writeBytes(bytes);
                if (last) {
                    try {
                        received.add(Envelope.parseFrom(parts.toByteArray()));
                    } catch (InvalidProtocolBufferException e) {
                        closed.completeExceptionally(e);
                    }
                    parts.reset();
                }
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                closed.completeExceptionally(new AssertionError("the server sent a text frame: " + data));
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                closed.complete(new Closed(statusCode, reason));
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                closed.complete(new Closed(1006, String.valueOf(error.getMessage())));
            }
        };
        HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (tls != null) {
            client.sslContext(tls);
        }
        WebSocket socket = client.build().newWebSocketBuilder().buildAsync(uri, listener).orTimeout(10, TimeUnit.SECONDS).join();
        return new WebSocketWire(socket, received, closed);
    }

    public void send(Envelope envelope) {
        sendRaw(envelope.toByteArray());
    }

    /** Sends bytes as one binary frame. */
    public void sendRaw(byte[] bytes) {
        socket.sendBinary(ByteBuffer.wrap(bytes), true).orTimeout(10, TimeUnit.SECONDS).join();
    }

    public void sendText(String text) {
        socket.sendText(text, true).orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** The next envelope the server sent; fails if none comes within 10 s. */
    public Envelope read() {
        try {
            Envelope next = received.poll(WireClient.READ_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            if (next == null) {
                throw new AssertionError("no envelope within " + WireClient.READ_TIMEOUT_MS + " ms (closed: " + closed.getNow(null) + ")");
            }
            return next;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Sends a request and reads its response (skipping pushes). */
    public Envelope call(Envelope.Builder request) {
        long id = ids.incrementAndGet();
        send(request.setRequestId(id).build());
        while (true) {
            Envelope response = read();
            if (response.getRequestId() == id) {
                return response;
            }
        }
    }

    /** How the server ended the connection; fails if it did not within 10 s. */
    public Closed closed() {
        return closed.orTimeout(WireClient.READ_TIMEOUT_MS, TimeUnit.MILLISECONDS).join();
    }

    @Override
    public void close() {
        socket.abort();
    }
}
