package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static dev.fastchat.client.ChatFixture.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.client.ChatFixture.Recorder;
import dev.fastchat.crypto.KdfParams;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import dev.fastchat.testkit.PostgresExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * NATS itself restarted under a two-node cluster: a nats-server process of the test's own (the machine's
 * binary, a free port, a store of its own) is killed and started again, once with its store and once
 * without. Chat goes on meanwhile, and afterwards presence is right and every message arrives once, in order.
 */
class NatsRestartIT {
    @RegisterExtension
    static final PostgresExtension postgres = new PostgresExtension();

    @TempDir
    Path dir;

    /** A nats-server with JetStream on {@code port}, its store in {@code store}. */
    private static Process nats(int port, Path store) throws IOException {
        String binary = Files.isExecutable(Path.of("/usr/sbin/nats-server")) ? "/usr/sbin/nats-server" : "nats-server";
        Process process = new ProcessBuilder(binary, "-a", "127.0.0.1", "-p", Integer.toString(port), "-js", "-sd", store.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        eventually(() -> {
            try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
                assertThat(probe.isConnected()).isTrue();
            } catch (IOException notYet) {
                throw new AssertionError("nats-server does not listen on " + port + " yet", notYet);
            }
        });
        return process;
    }

    private static void kill(Process process) throws InterruptedException {
        process.destroyForcibly();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    private static void delete(Path tree) throws IOException {
        try (var files = Files.walk(tree)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    @Test
    void afterNatsRestartsWithOrWithoutItsStorePresenceIsRightAndNothingIsLostOrRepeated() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        Path store = dir.resolve("nats-store");
        Process nats = nats(port, store);
        String cluster = WireClient.uniqueName("r");
        List<TestServer> nodes = new ArrayList<>();
        List<ChatClient> clients = new ArrayList<>();
        try {
            for (String id : List.of("n1", "n2")) {
                Map<String, String> settings = new HashMap<>(Map.of("db", postgres.url(), "nats", "nats://127.0.0.1:" + port,
                        "cluster", cluster, "node-id", id, "node-timeout", "3s", "send-rate", "100000", "send-burst", "100000"));
                nodes.add(TestServer.start(dir.resolve(id), settings));
            }
            Recorder bobEvents = new Recorder();
            String alice = WireClient.uniqueName("alice");
            String bob = WireClient.uniqueName("bob");
            ChatClient a = client(clients, new Recorder(), nodes.get(0));
            await(a.connect());
            await(a.register(alice, "pw".toCharArray()));
            ChatClient b = client(clients, bobEvents, nodes.get(1));
            await(b.connect());
            await(b.register(bob, "pw".toCharArray()));
            long seq = await(a.send(Target.user(bob), "before")).seq();
            eventually(() -> assertThat(await(a.whoIsOnline(bob)).getFirst().online()).isTrue());

            for (boolean keepStore : new boolean[] {true, false}) {
                kill(nats);
                if (!keepStore) {
                    delete(store);
                }
                for (int i = 0; i < 5; i++) {
                    seq = await(a.send(Target.user(bob), (keepStore ? "kept " : "wiped ") + i)).seq(); // NATS is down: acked anyway
                }
                nats = nats(port, store);
                long back = System.nanoTime();
                long last = seq;
                eventually(() -> assertThat(bobEvents.messages).extracting(ChatMessage::seq)
                        .containsExactlyElementsOf(LongStream.rangeClosed(1, last).boxed().toList()));
                eventually(() -> {
                    assertThat(await(a.whoIsOnline(bob)).getFirst().online()).as("bob, seen from n1").isTrue();
                    assertThat(await(b.whoIsOnline(alice)).getFirst().online()).as("alice, seen from n2").isTrue();
                });
                System.out.printf("NATS back %s its store: every message delivered and presence right from both nodes %.1f s after%n",
                        keepStore ? "with" : "without", (System.nanoTime() - back) / 1e9);
                seq = await(a.send(Target.user(bob), "after " + keepStore)).seq();
                long after = seq;
                eventually(() -> assertThat(bobEvents.messages).extracting(ChatMessage::seq).last().isEqualTo(after));
            }
            b.close();
            eventually(() -> assertThat(await(a.whoIsOnline(bob)).getFirst().online()).isFalse()); // and nobody stays online
        } finally {
            clients.forEach(ChatClient::close);
            nodes.forEach(TestServer::close);
            kill(nats);
        }
    }

    private ChatClient client(List<ChatClient> clients, ChatListener listener, TestServer node) {
        ChatClient client = ChatClient.builder().insecurePlaintext(true).server("127.0.0.1", node.port())
                .keyStoreDirectory(dir.resolve("keys")).registrationKdf(KdfParams.INSECURE_FOR_TESTS).listener(listener)
                .autoReconnect(true).build();
        clients.add(client);
        return client;
    }
}
