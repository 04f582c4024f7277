package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fastchat fetch-file}. */
@Command(name = "fetch-file", mixinStandardHelpOptions = true,
        header = "Downloads, decrypts, checks and saves a file shared with you.",
        description = "The file's SHA-256 is checked before it is saved in the download folder under the sender's name made safe (no directories or '..'; an existing file is never "
                + "overwritten: 'name (1).ext' instead). Prints where it was saved. Nothing is saved if any check "
                + "fails.")
final class FetchFileCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Parameters(paramLabel = "FILE_ID", description = "the file's id (shown with the message that shared it)")
    String fileId;

    @Option(names = "--out", paramLabel = "DIR", description = "where to save it (default: $XDG_DOWNLOAD_DIR/fastchat, else ~/Downloads/fastchat)")
    Path out;

    @Override
    public Integer call() throws Exception {
        Path directory = out != null ? out : defaultDirectory();
        try (ChatClient client = options.loggedIn()) {
            Path saved = client.files().fetch(fileId, directory).get(30, TimeUnit.MINUTES);
            spec.commandLine().getOut().printf("saved %s (%s)%n", saved, Sizes.human(Files.size(saved)));
            return ExitCodes.OK;
        }
    }

    /** {@code $XDG_DOWNLOAD_DIR/fastchat}, else {@code ~/Downloads/fastchat} (with {@code $HOME} as home). */
    static Path defaultDirectory() {
        String downloads = System.getenv("XDG_DOWNLOAD_DIR");
        Path base = downloads != null && !downloads.isBlank() ? Path.of(downloads) : home().resolve("Downloads");
        return base.resolve("fastchat");
    }

    /** The user's home: {@code $HOME}, else the JVM's idea of it. */
    static Path home() {
        String home = System.getenv("HOME");
        return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"));
    }
}
