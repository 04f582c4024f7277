package dev.fastchat.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Names chosen by senders never escape the download folder or replace what is there. */
class SafeFileNameTest {
    @TempDir
    Path dir;

    @Test
    void pathsControlCharactersAndHiddenNamesAreDefused() {
        assertThat(FileTransfer.safeName("../../etc/passwd")).isEqualTo("passwd");
        assertThat(FileTransfer.safeName("/etc/shadow")).isEqualTo("shadow");
        assertThat(FileTransfer.safeName("..\\..\\windows\\system32\\cmd.exe")).isEqualTo("cmd.exe");
        assertThat(FileTransfer.safeName("a/b/c/")).isEqualTo("file");
        assertThat(FileTransfer.safeName("..")).isEqualTo("file");
        assertThat(FileTransfer.safeName("")).isEqualTo("file");
        assertThat(FileTransfer.safeName(".bashrc")).isEqualTo("bashrc");
        assertThat(FileTransfer.safeName("evil\u001b[2J\u0007name.txt")).isEqualTo("evil[2Jname.txt");
        assertThat(FileTransfer.safeName("invoice\u202Efdp.exe")).isEqualTo("invoicefdp.exe"); // no right-to-left override
        assertThat(FileTransfer.safeName("what?<>|*.txt")).isEqualTo("what.txt");
        assertThat(FileTransfer.safeName("photo 😀 été.jpg")).isEqualTo("photo 😀 été.jpg");
        assertThat(FileTransfer.safeName("x".repeat(500) + ".txt").getBytes(java.nio.charset.StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(200);
    }

    @Test
    void anExistingFileIsNeverOverwritten() throws Exception {
        Files.writeString(dir.resolve("notes.txt"), "mine");
        Path first = FileTransfer.place(Files.writeString(dir.resolve(".a.part"), "one"), dir, "../notes.txt");
        Path second = FileTransfer.place(Files.writeString(dir.resolve(".b.part"), "two"), dir, "notes.txt");
        assertThat(first).isEqualTo(dir.resolve("notes (1).txt"));
        assertThat(second).isEqualTo(dir.resolve("notes (2).txt"));
        assertThat(dir.resolve("notes.txt")).hasContent("mine");
        assertThat(first).hasContent("one");
        assertThat(second).hasContent("two");
    }
}
