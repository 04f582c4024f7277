package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fastchat unblock USER...}. */
@Command(name = "unblock", mixinStandardHelpOptions = true,
        header = "Unblocks users: they can send you direct messages and add you to groups again.")
final class UnblockCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Parameters(paramLabel = "USER", arity = "1..*", description = "the users to unblock")
    List<String> users;

    @Override
    public Integer call() throws Exception {
        try (ChatClient client = options.loggedIn()) {
            for (String user : users) {
                client.contacts().unblock(user).get(60, TimeUnit.SECONDS);
                spec.commandLine().getOut().println("unblocked " + Terminal.escape(user));
            }
            return ExitCodes.OK;
        }
    }
}
