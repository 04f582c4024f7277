package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import dev.fastchat.client.SentMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fastchat send-file}. */
@Command(name = "send-file", mixinStandardHelpOptions = true,
        header = "Sends a file (any type, up to the server's limit, 25 MiB by default) to a user or a group.",
        description = "It is encrypted on this machine with a fresh key, uploaded in chunks, and shared in a sealed message that "
                + "carries the key; the server stores ciphertext only. Prints the file id the recipients fetch it by.")
final class SendFileCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @ArgGroup(exclusive = true, multiplicity = "1")
    TargetOptions target;

    @Parameters(paramLabel = "PATH", description = "the file to send")
    Path path;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException(path + " is not a readable file");
        }
        try (ChatClient client = options.loggedIn()) {
            SentMessage sent = client.files().send(target.target(), path).get(30, TimeUnit.MINUTES);
            spec.commandLine().getOut().printf("sent %s (%s) to %s (seq %d)%n", path.getFileName(),
                    Sizes.human(Files.size(path)), target.target(), sent.seq());
            return ExitCodes.OK;
        }
    }
}
