package dev.fastchat.server.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.fastchat.server.config.HostAndPort;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The admin HTTP port: {@code /health} (200 while the process serves), {@code /ready} (200 when the node
 * can take clients: the database reachable, not shutting down, with "degraded: ..." when NATS is away and
 * messages reach other nodes' sessions only when it is back; 503 with the reason otherwise) and
 * {@code /metrics} (Prometheus text). Meant for load balancers and monitoring on a private network.
 */
public final class AdminServer implements AutoCloseable {
    private final HttpServer http;

    private AdminServer(HttpServer http) {
        this.http = http;
    }

    /**
     * @param notReady why the node cannot take clients now, or empty when it can
     * @param degraded what works less well now although the node takes clients (the cluster bus away), or empty
     */
    public static AdminServer start(HostAndPort address, Supplier<Optional<String>> notReady, Supplier<Optional<String>> degraded,
                                    ServerMetrics metrics) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(address.host(), address.port()), 16);
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.createContext("/health", exchange -> respond(exchange, 200, "text/plain", "ok\n"));
        http.createContext("/ready", exchange -> {
            Optional<String> problem = notReady.get();
            if (problem.isPresent()) {
                respond(exchange, 503, "text/plain", "not ready: " + problem.get() + "\n");
                return;
            }
            respond(exchange, 200, "text/plain", degraded.get().map(why -> "degraded: " + why).orElse("ready") + "\n");
        });
        http.createContext("/metrics", exchange -> respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
        http.start();
        return new AdminServer(http);
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        boolean head = exchange.getRequestMethod().equalsIgnoreCase("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
        exchange.close();
    }

    /** The bound address (with the real port when started on port 0). */
    public HostAndPort address() {
        InetSocketAddress bound = http.getAddress();
        return new HostAndPort(bound.getHostString(), bound.getPort());
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
