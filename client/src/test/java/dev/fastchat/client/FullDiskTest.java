package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static dev.fastchat.client.ChatClientTest.codeOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQLite file's disk fills up: writes fail with UNAVAILABLE, what was acknowledged stays, the server
 * stays up, and it recovers once space is freed. Uses a real 4 MiB tmpfs, so it needs mount rights
 * (root, as in CI); elsewhere it is skipped with that reason.
 */
class FullDiskTest {
    @TempDir
    Path dir;
    Path mount;

    @BeforeEach
    void mountTinyDisk() throws Exception {
        mount = dir.resolve("disk");
        Files.createDirectories(mount);
        Process process = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        boolean mounted = process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
        Assumptions.assumeTrue(mounted, "cannot mount a tmpfs here (needs root): skipping the full-disk test");
    }

    @AfterEach
    void unmount() throws Exception {
        new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor(10, TimeUnit.SECONDS);
    }

    @Test
    void fullDiskGivesUnavailableKeepsAcknowledgedAccountsAndRecovers() throws Exception {
        try (TestServer server = TestServer.start(mount, Map.of())) {
            String early = WireClient.uniqueName("early");
            try (ChatClient client = DatabaseOutageIT.client(server, "d1")) {
                await(client.connect());
                await(client.register(early, "pw".toCharArray()));
            }
            List<Path> filler = fill(mount);

            boolean sawUnavailable = false;
            for (int i = 0; i < 50 && !sawUnavailable; i++) {
                try (ChatClient client = DatabaseOutageIT.client(server, "d2")) {
                    await(client.connect());
                    try {
                        await(client.register(WireClient.uniqueName("late"), "pw".toCharArray()));
                    } catch (java.util.concurrent.ExecutionException e) {
                        assertThat(codeOf(java.util.concurrent.CompletableFuture.failedFuture(e.getCause())))
                                .isEqualTo(ErrorCode.UNAVAILABLE);
                        sawUnavailable = true;
                    }
                }
            }
            assertThat(sawUnavailable).as("registrations on a full disk fail").isTrue();
            try (ChatClient client = DatabaseOutageIT.client(server, "d3")) {
                await(client.connect());
                // A log-in stores a session, so it too must fail cleanly while the disk is full.
                assertThat(codeOf(client.login(early, "pw".toCharArray()))).isEqualTo(ErrorCode.UNAVAILABLE);
            }

            for (Path file : filler) {
                Files.delete(file);
            }
            String after = WireClient.uniqueName("after");
            try (ChatClient client = DatabaseOutageIT.client(server, "d4")) {
                await(client.connect());
                assertThat(await(client.register(after, "pw".toCharArray())).username()).isEqualTo(after);
                assertThat(await(client.login(early, "pw".toCharArray())).username()).isEqualTo(early);
            }
        }
    }

    private static List<Path> fill(Path disk) throws IOException {
        List<Path> files = new ArrayList<>();
        byte[] block = new byte[64 * 1024];
        for (int i = 0; ; i++) {
            Path file = disk.resolve("filler-" + i);
            files.add(file);
            try (OutputStream out = Files.newOutputStream(file)) {
                for (int j = 0; j < 16; j++) {
                    out.write(block);
                }
            } catch (IOException full) {
                return files;
            }
        }
    }
}
