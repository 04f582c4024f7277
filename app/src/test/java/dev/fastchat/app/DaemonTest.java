package dev.fastchat.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fastchat.client.ChatClient;
import dev.fastchat.client.ChatListener;
import dev.fastchat.client.ChatMessage;
import dev.fastchat.client.Target;
import dev.fastchat.crypto.KdfParams;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fastchat daemon}, a real process on an owner-only Unix socket in front of a real server: JSON-RPC requests and
 * their errors, events to subscribers, one-shot commands that go through it, standard input and output, and the bot
 * example of docs/examples run as it is.
 */
class DaemonTest {
    @TempDir
    static Path dir;

    private static ChatClient register(TestServer server, String name, ChatListener listener) throws Exception {
        ChatClient client = ChatClient.builder().server("127.0.0.1", server.port()).insecurePlaintext(true)
                .keyStoreDirectory(dir.resolve("keys-" + name)).registrationKdf(KdfParams.INSECURE_FOR_TESTS).listener(listener).build();
        client.connect().get(30, TimeUnit.SECONDS);
        client.register(name, "pw".toCharArray()).get(30, TimeUnit.SECONDS);
        return client;
    }

    /** The daemon (or another command) as users run it: its own process, its own config directory. */
    private static Process fastchat(Map<String, String> environment, String... args) throws Exception {
        return fastchat(environment, null, args);
    }

    /** The same, its standard error (and output) written to {@code log}, when given. */
    private static Process fastchat(Map<String, String> environment, Path log, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("FASTCHAT_PASSWORD", "pw");
        builder.environment().put("XDG_CONFIG_HOME", dir.resolve("config").toString());
        builder.environment().remove("XDG_RUNTIME_DIR");
        builder.environment().putAll(environment);
        if (log != null) {
            builder.redirectErrorStream(true).redirectOutput(log.toFile());
        }
        return builder.start();
    }

    /** A JSON-RPC connection to the daemon's socket. */
    private record Rpc(SocketChannel channel, OutputStream out, BufferedReader in) implements AutoCloseable {
        static Rpc open(Path socket) throws Exception {
            SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
            return new Rpc(channel, Channels.newOutputStream(channel),
                    new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8)));
        }

        /** Writes a line and returns the next line that is not an event. */
        JsonNode call(String line) throws Exception {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                JsonNode response = JsonRpcDaemon.JSON.readTree(in.readLine());
                if (!"event".equals(response.path("method").asText())) {
                    return response;
                }
            }
        }

        JsonNode event(String type) throws Exception {
            while (true) {
                JsonNode line = JsonRpcDaemon.JSON.readTree(in.readLine());
                if (type.equals(line.path("params").path("type").asText())) {
                    return line.get("params");
                }
            }
        }

        @Override
        public void close() throws Exception {
            channel.close();
        }
    }

    @Test
    void botsTalkJsonRpcToTheDaemonAndOneShotCommandsGoThroughIt() throws Exception {
        String bot = WireClient.uniqueName("bot");
        String alice = WireClient.uniqueName("alice");
        List<ChatMessage> received = new CopyOnWriteArrayList<>();
        Path socket = dir.resolve("config").resolve("fastchat").resolve("run").resolve(bot + ".sock");
        try (TestServer server = TestServer.start(dir.resolve("server"), Map.of("min-kdf-memory-kib", "8", "min-kdf-iterations", "1"));
             ChatClient aliceClient = register(server, alice, new ChatListener() {
                 @Override
                 public void message(ChatMessage message) {
                     received.add(message);
                 }
             })) {
            register(server, bot, new ChatListener() {}).close();
            String address = server.address().toString();
            Path log = dir.resolve("daemon.log");
            Process daemon = fastchat(Map.of(), log, "daemon", "--server", address, "--user", bot, "--insecure-plaintext",
                    "--keys", dir.resolve("keys-" + bot).toString());
            try {
                Awaitility.await().atMost(Duration.ofSeconds(30)).failFast(() -> {
                    assertThat(daemon.isAlive()).as("the daemon ended: %s", Files.exists(log) ? Files.readString(log) : "").isTrue();
                }).until(() -> DaemonSocket.answers(socket));
                assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
                assertThat(Files.getPosixFilePermissions(socket.getParent())).isEqualTo(PosixFilePermissions.fromString("rwx------"));

                try (Rpc rpc = Rpc.open(socket)) {
                    assertThat(rpc.call("{\"jsonrpc\":\"2.0\",\"method\":\"version\",\"id\":1}").path("result").path("user").asText())
                            .isEqualTo(bot);
                    // Mistakes are answered, and the connection goes on.
                    assertThat(rpc.call("not json").path("error").path("code").asInt()).isEqualTo(-32700);
                    assertThat(rpc.call("{\"jsonrpc\":\"2.0\",\"method\":\"frobnicate\",\"id\":2}").path("error").path("code").asInt())
                            .isEqualTo(-32601);
                    assertThat(rpc.call("{\"jsonrpc\":\"2.0\",\"method\":\"send\",\"params\":{\"text\":\"hi\"},\"id\":3}")
                            .path("error").path("code").asInt()).isEqualTo(-32602);
                    JsonNode refused = rpc.call("{\"jsonrpc\":\"2.0\",\"method\":\"send\",\"params\":{\"to\":\"nobody-" + bot
                            + "\",\"text\":\"hi\"},\"id\":4}");
                    assertThat(refused.path("error").path("data").path("code").asText()).isEqualTo("UNKNOWN_USER");

                    // Events for subscribers; requests answered in between.
                    assertThat(rpc.call("{\"jsonrpc\":\"2.0\",\"method\":\"subscribe\",\"id\":5}").path("result").asBoolean()).isTrue();
                    aliceClient.send(Target.user(bot), "hello bot").get(30, TimeUnit.SECONDS);
                    JsonNode event = rpc.event("message");
                    assertThat(event.path("text").asText()).isEqualTo("hello bot");
                    assertThat(event.path("with").asText()).isEqualTo(alice);
                    JsonNode sent = rpc.call("{\"jsonrpc\":\"2.0\",\"method\":\"send\",\"params\":{\"to\":\"" + alice
                            + "\",\"text\":\"hello alice\",\"reply_to\":" + event.path("seq").asLong() + "},\"id\":6}");
                    assertThat(sent.path("result").path("seq").asLong()).isEqualTo(2);
                    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> received.stream()
                            .anyMatch(m -> m.text().equals("hello alice") && m.replyTo() == 1));
                    JsonNode history = rpc.call("{\"jsonrpc\":\"2.0\",\"method\":\"history\",\"params\":{\"to\":\"" + alice + "\"},\"id\":7}");
                    assertThat(history.path("result").size()).isEqualTo(2);
                    JsonNode read = rpc.call("{\"jsonrpc\":\"2.0\",\"method\":\"read\",\"params\":{\"to\":\"" + alice + "\"},\"id\":8}");
                    assertThat(read.path("result").get(0).path("text").asText()).isEqualTo("hello bot");
                    JsonNode unread = rpc.call("{\"jsonrpc\":\"2.0\",\"method\":\"unread\",\"id\":9}");
                    assertThat(unread.path("result").path("direct").asLong()).as("read marks it read").isZero();
                }

                // A one-shot command of the same user and server goes through the running daemon.
                Process send = fastchat(Map.of(), "send", "--server", address, "--user", bot, "--insecure-plaintext", "--to", alice,
                        "via", "the", "daemon");
                String out = new String(send.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(send.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(out).as(new String(send.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                        .contains("sent to " + alice + " (seq 3, through the daemon)");
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> received.stream().anyMatch(m -> m.text().equals("via the daemon")));

                // The bot of docs/examples, run as it is: it answers a direct message.
                Process echo = new ProcessBuilder("python3", Path.of(System.getProperty("user.dir")).getParent()
                        .resolve("docs/examples/echo-bot.py").toString(), socket.toString()).redirectErrorStream(true).start();
                try {
                    Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
                        if (received.stream().noneMatch(m -> m.text().startsWith("pong: "))) {
                            aliceClient.send(Target.user(bot), "ping").get(30, TimeUnit.SECONDS); // again, each poll, until it listens
                        }
                        return received.stream().anyMatch(m -> m.text().equals("pong: ping"));
                    });
                } finally {
                    echo.destroy();
                }
            } finally {
                daemon.destroy();
                assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(socket).as("removed when the daemon ends").doesNotExist();

            // Standard input and output: one process per client, events from the start.
            Process stdio = fastchat(Map.of(), "daemon", "--stdio", "--server", address, "--user", bot, "--insecure-plaintext",
                    "--keys", dir.resolve("keys-" + bot).toString());
            try {
                stdio.getOutputStream().write("{\"jsonrpc\":\"2.0\",\"method\":\"unread\",\"id\":\"u\"}\n".getBytes(StandardCharsets.UTF_8));
                stdio.getOutputStream().flush();
                BufferedReader lines = new BufferedReader(new InputStreamReader(stdio.getInputStream(), StandardCharsets.UTF_8));
                JsonNode answer;
                do {
                    answer = JsonRpcDaemon.JSON.readTree(lines.readLine());
                } while (!answer.has("id"));
                assertThat(answer.path("id").asText()).isEqualTo("u");
                assertThat(answer.path("result").has("direct")).isTrue();
                stdio.getOutputStream().close();
                assertThat(stdio.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(stdio.exitValue()).isZero();
            } finally {
                stdio.destroyForcibly();
            }
        }
    }
}
