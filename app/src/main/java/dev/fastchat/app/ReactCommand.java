package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import dev.fastchat.client.SentMessage;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fastchat react}. */
@Command(name = "react", mixinStandardHelpOptions = true,
        header = "Reacts to a message with an emoji, sealed end to end, or takes the reaction back.",
        description = "Members see the reactions that stand on a message, counted per emoji (fastchat read, chat).")
final class ReactCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @ArgGroup(exclusive = true, multiplicity = "1")
    TargetOptions target;

    @Parameters(index = "0", paramLabel = "SEQ", description = "the message's number in the conversation (read shows it as #SEQ)")
    long seq;

    @Parameters(index = "1", paramLabel = "EMOJI", description = "one emoji, or a short text (up to 32 bytes)")
    String emoji;

    @Option(names = "--remove", description = "take your reaction EMOJI back")
    boolean remove;

    @Override
    public Integer call() throws Exception {
        java.util.Optional<DaemonSocket> daemon = DaemonSocket.open(options.user, options.server);
        if (daemon.isPresent()) {
            try (DaemonSocket running = daemon.get()) {
                long at = running.call("react", target.json().put("seq", seq).put("emoji", emoji).put("remove", remove)).path("seq").asLong();
                spec.commandLine().getOut().printf("%s %s on #%d in %s (seq %d, through the daemon)%n", remove ? "took back" : "reacted",
                        emoji, seq, target.target(), at);
                return ExitCodes.OK;
            }
        }
        try (ChatClient client = options.loggedIn()) {
            SentMessage sent = (remove ? client.messages().unreact(target.target(), seq, emoji)
                    : client.messages().react(target.target(), seq, emoji)).get(60, TimeUnit.SECONDS);
            spec.commandLine().getOut().printf("%s %s on #%d in %s (seq %d)%n", remove ? "took back" : "reacted", emoji, seq,
                    target.target(), sent.seq());
            return ExitCodes.OK;
        }
    }
}
