package dev.fastchat.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.server.config.HostAndPort;
import dev.fastchat.server.testing.WireClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fastchat server}'s warm-up through a scratch node, as an operator starts a node. */
class ServerWarmUpIT {
    @TempDir
    Path dir;

    @Test
    void theWarmUpRunsBeforeTheNodeListensAndLeavesNothingOfItsScratchNodeBehind() throws Exception {
        Path temporary = Files.createDirectories(dir.resolve("tmp"));
        try (NodeProcess server = NodeProcess.start(List.of("-Djava.io.tmpdir=" + temporary),
                "--listen", "127.0.0.1:0", "--data", dir.resolve("data").toString(), "--insecure-plaintext",
                "--set", "min-kdf-memory-kib=8", "--set", "min-kdf-iterations=1", "--set", "warm-up-messages=300")) {
            List<String> log = List.copyOf(server.log);
            int warmedUp = indexOf(log, "warmed up: 300 messages through a scratch node");
            assertThat(warmedUp).as(String.join("\n", log)).isNotNegative().isLessThan(indexOf(log, "ready on"));
            // The scratch node's own lines (its port, its sixteen log-ins) are not the node's: only warnings would show.
            assertThat(log).as(String.join("\n", log)).noneMatch(line -> line.contains("registered account"))
                    .filteredOn(line -> line.contains("listening on")).hasSize(1);

            // The node's database is its own: the scratch node's first user is a free name here, and account 1.
            try (WireClient client = WireClient.connect(new HostAndPort("127.0.0.1", server.port))) {
                client.hello();
                Envelope registered = client.register("warm-up-0", WireClient.random(32));
                assertThat(registered.hasSession()).as(registered.toString()).isTrue();
                assertThat(registered.getSession().getAccountId()).isEqualTo(1);
            }
            // The clients ran in a JVM of their own: the node's code cache holds the node's compiled code, not theirs.
            assertThat(compiledMethods(server.process.pid())).contains("dev.fastchat.server.")
                    .doesNotContain("dev.fastchat.client.", "dev.fastchat.app.loadgen.");
            try (Stream<Path> left = Files.list(temporary)) {
                assertThat(left.map(path -> path.getFileName().toString())).noneMatch(name -> name.startsWith("fastchat-warm-up"));
            }
        }
    }

    /** The methods the JIT of the JVM {@code pid} compiled, as {@code jcmd} lists them. */
    private static String compiledMethods(long pid) throws Exception {
        Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
        Process listing = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Compiler.codelist").redirectErrorStream(true).start();
        String classes = new String(listing.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(listing.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        return classes;
    }

    private static int indexOf(List<String> log, String text) {
        for (int i = 0; i < log.size(); i++) {
            if (log.get(i).contains(text)) {
                return i;
            }
        }
        return -1;
    }
}
