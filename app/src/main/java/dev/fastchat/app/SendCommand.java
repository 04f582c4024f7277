package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import dev.fastchat.client.SentMessage;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fastchat send}. */
@Command(name = "send", mixinStandardHelpOptions = true,
        header = "Sends a text message, sealed end to end, to a user or a group.",
        description = "Prints the message's place in the conversation once the server has stored it. Uses the session "
                + "this device keeps from an earlier log-in (see logout); the password is asked only when there is none.")
final class SendCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @ArgGroup(exclusive = true, multiplicity = "1")
    TargetOptions target;

    @Parameters(arity = "1..*", paramLabel = "TEXT", description = "the text (several words are joined with spaces; up to 64 KiB)")
    List<String> words;

    @Override
    public Integer call() throws Exception {
        try (ChatClient client = options.loggedIn()) {
            SentMessage sent = client.send(target.target(), String.join(" ", words)).get(60, TimeUnit.SECONDS);
            spec.commandLine().getOut().printf("sent to %s (seq %d)%n", target.target(), sent.seq());
            return ExitCodes.OK;
        }
    }
}
