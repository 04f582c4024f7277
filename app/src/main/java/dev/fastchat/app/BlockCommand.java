package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fastchat block [USER...]}. */
@Command(name = "block", mixinStandardHelpOptions = true,
        header = "Blocks users, or lists the users you have blocked.",
        description = "A blocked user can no longer send you direct messages nor add you to groups: they are told "
                + "BLOCKED. Messages you already have stay, and groups you share are left as they are. You can still "
                + "write to them. Without a name, lists whom you have blocked. 'fastchat unblock USER' lets them back.")
final class BlockCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Parameters(paramLabel = "USER", arity = "0..*", description = "the users to block")
    List<String> users = List.of();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (ChatClient client = options.loggedIn()) {
            if (users.isEmpty()) {
                List<String> blocked = client.contacts().blocked().get(60, TimeUnit.SECONDS);
                if (blocked.isEmpty()) {
                    out.println("you have blocked nobody");
                }
                blocked.forEach(name -> out.println(Terminal.escape(name)));
                return ExitCodes.OK;
            }
            for (String user : users) {
                client.contacts().block(user).get(60, TimeUnit.SECONDS);
                out.println("blocked " + Terminal.escape(user));
            }
            return ExitCodes.OK;
        }
    }
}
