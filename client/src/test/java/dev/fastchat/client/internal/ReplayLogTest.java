package dev.fastchat.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayLogTest {
    @TempDir
    Path dir;

    @Test
    void entriesSurviveAReopenAndASendersHostileIdCannotPlantOthers() throws Exception {
        Path file = dir.resolve("keys").resolve("alice.shown");
        ReplayLog log = new ReplayLog(file, 100);
        log.append(7, "m1", "d:1:7#1");
        log.append(7, "x\t\n8\tbad\td:1:8#9", "d:1:7#2"); // a client message id that tries to write a second line
        assertThat(new ReplayLog(file, 100).load())
                .containsExactly(java.util.Map.entry("7/m1", "d:1:7#1"), java.util.Map.entry("7/x\t\n8\tbad\td:1:8#9", "d:1:7#2"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }

    @Test
    void theNewestEntriesAreKeptAndTheFileIsCompactedWhenItGrows() throws Exception {
        Path file = dir.resolve("bob.shown");
        ReplayLog log = new ReplayLog(file, 3);
        for (int i = 1; i <= 7; i++) {
            log.append(1, "m" + i, "g:1#" + i);
        }
        Files.writeString(file, "1\tcut", java.nio.file.StandardOpenOption.APPEND); // a line cut by a crash
        assertThat(log.load()).containsOnlyKeys("1/m5", "1/m6", "1/m7");
        assertThat(Files.readAllLines(file)).hasSize(3);
    }
}
