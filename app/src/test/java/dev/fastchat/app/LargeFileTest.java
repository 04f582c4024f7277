package dev.fastchat.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.client.ChatClient;
import dev.fastchat.crypto.KdfParams;
import dev.fastchat.server.testing.WireClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 25 MiB file from {@code fastchat send-file} to {@code fastchat fetch-file} through a server process, each
 * of the three with a 64 MiB heap: none of them may hold the whole file (with its copies) in memory.
 */
class LargeFileTest {
    private static final String HEAP = "-Xmx64m";

    @TempDir
    Path dir;

    private static List<String> java(String... args) {
        return NodeProcess.java(List.of(HEAP), args);
    }

    private static NodeProcess.Run fastchat(String... args) throws Exception {
        return NodeProcess.run(List.of(HEAP), "pw", args);
    }

    @Test
    void a25MiBFileTravelsWithA64MiBHeapOnEverySide() throws Exception {
        try (NodeProcess server = NodeProcess.start(List.of(HEAP), "--listen", "127.0.0.1:0", "--data", dir.resolve("data").toString(),
                "--set", "min-kdf-memory-kib=8", "--set", "min-kdf-iterations=1")) {
            String address = server.address;
            String alice = WireClient.uniqueName("alice");
            String bob = WireClient.uniqueName("bob");
            for (String name : List.of(alice, bob)) {
                try (ChatClient client = ChatClient.builder().server("127.0.0.1", Integer.parseInt(address.split(":")[1]))
                        .keyStoreDirectory(dir.resolve("keys")).registrationKdf(KdfParams.INSECURE_FOR_TESTS).build()) {
                    client.connect().get(30, TimeUnit.SECONDS);
                    client.register(name, "pw".toCharArray()).get(30, TimeUnit.SECONDS);
                }
            }
            Path file = dir.resolve("big video.mp4");
            byte[] block = new byte[1 << 20];
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (var out = Files.newOutputStream(file)) {
                for (int i = 0; i < 25; i++) {
                    ThreadLocalRandom.current().nextBytes(block);
                    sha.update(block);
                    out.write(block);
                }
            }
            String keys = dir.resolve("keys").toString();
            NodeProcess.Run sent = fastchat("send-file", "--server", address, "--user", alice, "--keys", keys, "--to", bob,
                    file.toString());
            assertThat(sent.exitCode()).as(sent.err()).isZero();
            assertThat(sent.out()).contains("sent big video.mp4 (25.0 MiB) to " + bob);

            NodeProcess.Run read = fastchat("read", "--server", address, "--user", bob, "--keys", keys, "--with", alice, "--json");
            Matcher id = Pattern.compile("\"id\":\"([0-9a-f]{32})\"").matcher(read.out());
            assertThat(id.find()).as(read.out() + read.err()).isTrue();
            NodeProcess.Run fetched = fastchat("fetch-file", "--server", address, "--user", bob, "--keys", keys, id.group(1),
                    "--out", dir.resolve("downloads").toString());
            assertThat(fetched.exitCode()).as(fetched.err()).isZero();
            Path saved = dir.resolve("downloads").resolve("big video.mp4");
            assertThat(fetched.out()).contains("saved " + saved);
            assertThat(HexFormat.of().formatHex(digest(saved))).isEqualTo(HexFormat.of().formatHex(sha.digest()));
            assertThat(server.process.isAlive()).isTrue();
        }
    }

    private static byte[] digest(Path path) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(path)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
        }
        return sha.digest();
    }

}
