package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import dev.fastchat.client.SentMessage;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fastchat send}. */
@Command(name = "send", mixinStandardHelpOptions = true,
        header = "Sends a text message, sealed end to end, to a user or a group: new, a reply, or an edit of yours.",
        description = "Prints the message's place in the conversation once the server has stored it. Uses the session "
                + "this device keeps from an earlier log-in (see logout); the password is asked only when there is none.")
final class SendCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @ArgGroup(exclusive = true, multiplicity = "1")
    TargetOptions target;

    @ArgGroup(exclusive = true)
    Relation relation;

    /** What the message is to an earlier one. */
    static final class Relation {
        @Option(names = "--reply-to", paramLabel = "SEQ", description = "a reply to message SEQ of the conversation (quoted by the reader)")
        long replyTo;

        @Option(names = "--edit", paramLabel = "SEQ", description = "a new text for your message SEQ (readers show the newest, marked edited)")
        long edit;
    }

    @Parameters(arity = "1..*", paramLabel = "TEXT", description = "the text (several words are joined with spaces; up to 64 KiB)")
    List<String> words;

    @Override
    public Integer call() throws Exception {
        java.util.Optional<DaemonSocket> daemon = DaemonSocket.open(options.user, options.server);
        if (daemon.isPresent()) {
            try (DaemonSocket running = daemon.get()) {
                var params = target.json().put("text", String.join(" ", words));
                if (relation != null && relation.replyTo != 0) {
                    params.put("reply_to", relation.replyTo);
                } else if (relation != null) {
                    params.put("edit", relation.edit);
                }
                long seq = running.call("send", params).path("seq").asLong();
                spec.commandLine().getOut().printf("sent to %s (seq %d, through the daemon)%n", target.target(), seq);
                return ExitCodes.OK;
            }
        }
        try (ChatClient client = options.loggedIn()) {
            String text = String.join(" ", words);
            SentMessage sent = (relation == null ? client.send(target.target(), text)
                    : relation.replyTo != 0 ? client.messages().reply(target.target(), relation.replyTo, text)
                    : client.messages().edit(target.target(), relation.edit, text)).get(60, TimeUnit.SECONDS);
            spec.commandLine().getOut().printf("sent to %s (seq %d)%n", target.target(), sent.seq());
            return ExitCodes.OK;
        }
    }
}
