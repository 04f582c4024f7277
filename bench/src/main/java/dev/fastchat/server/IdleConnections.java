package dev.fastchat.server;

import dev.fastchat.server.config.HostAndPort;
import dev.fastchat.server.testing.WireClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Opens {@code count} connections to a running node, logs each in (registering a fresh account), and keeps
 * them open and idle (pinging less often than the idle timeout) for {@code seconds}, so that the node's
 * memory per idle session can be read from outside (see docs/performance.md). Bounded: count and time.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.fastchat.server.IdleConnections HOST:PORT [count] [seconds]}
 */
public final class IdleConnections {
    public static void main(String[] args) throws Exception {
        HostAndPort server = HostAndPort.parse(args[0]);
        int count = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 60;
        List<WireClient> clients = new ArrayList<>(count);
        long start = System.nanoTime();
        try {
            for (int i = 0; i < count; i++) {
                WireClient client = WireClient.connect(server);
                clients.add(client);
                client.hello();
                if (!client.register(WireClient.uniqueName("idle"), WireClient.random(32)).hasSession()) {
                    throw new IllegalStateException("connection " + i + " could not log in");
                }
                if ((i + 1) % 1000 == 0) {
                    System.out.printf("%d sessions open (%.0f s)%n", i + 1, (System.nanoTime() - start) / 1e9);
                }
            }
            System.out.printf("all %d sessions logged in and idle; holding them for %d s%n", count, seconds);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < until) {
                Thread.sleep(20_000);
                for (WireClient client : clients) { // well inside the idle timeout
                    client.send(dev.fastchat.protocol.v1.Envelope.newBuilder().setRequestId(client.nextId())
                            .setPing(dev.fastchat.protocol.v1.Ping.getDefaultInstance()).build());
                }
            }
        } finally {
            clients.forEach(WireClient::close);
        }
    }
}
