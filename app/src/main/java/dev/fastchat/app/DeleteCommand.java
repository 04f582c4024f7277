package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fastchat delete}. */
@Command(name = "delete", mixinStandardHelpOptions = true,
        header = "Deletes a message of yours for everyone.",
        description = "The server drops the message and your edits of it for good and keeps only a tombstone (its number, "
                + "sender and time); every member's clients stop showing it. Someone else's message cannot be deleted.")
final class DeleteCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @ArgGroup(exclusive = true, multiplicity = "1")
    TargetOptions target;

    @Parameters(index = "0", paramLabel = "SEQ", description = "the message's number in the conversation (read shows it as #SEQ)")
    long seq;

    @Override
    public Integer call() throws Exception {
        java.util.Optional<DaemonSocket> daemon = DaemonSocket.open(options.user, options.server);
        if (daemon.isPresent()) {
            try (DaemonSocket running = daemon.get()) {
                int count = running.call("delete", target.json().put("seq", seq)).path("deleted").size();
                print(count);
                return ExitCodes.OK;
            }
        }
        try (ChatClient client = options.loggedIn()) {
            print(client.messages().delete(target.target(), seq).get(60, TimeUnit.SECONDS).size());
            return ExitCodes.OK;
        }
    }

    private void print(int deleted) {
        spec.commandLine().getOut().printf("deleted #%d in %s for everyone%s%n", seq, target.target(),
                deleted > 1 ? " (with your " + (deleted - 1) + " edit" + (deleted > 2 ? "s" : "") + " of it)" : "");
    }
}
