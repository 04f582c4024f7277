package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import dev.fastchat.client.DirectoryEntry;
import dev.fastchat.client.UserPresence;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fastchat who}. */
@Command(name = "who", mixinStandardHelpOptions = true,
        header = "Shows who is online: the named users, or your contacts.",
        description = "Without names: your contacts (people you share a conversation with). --online lists every user "
                + "online now; --all lists every registered user and group.")
final class WhoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Parameters(arity = "0..*", paramLabel = "USER", description = "users to check")
    List<String> users = List.of();

    @Option(names = "--online", description = "every user online now")
    boolean online;

    @Option(names = "--all", description = "every registered user and group")
    boolean all;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (ChatClient client = options.loggedIn()) {
            if (online || all) {
                String after = "";
                while (true) {
                    List<DirectoryEntry> page = client.directory(after, 500, online).get(60, TimeUnit.SECONDS);
                    for (DirectoryEntry entry : page) {
                        out.printf("%-32s %s%n", Terminal.escape(entry.name()), entry.group() ? "group" : entry.online() ? "online" : "offline");
                    }
                    if (page.size() < 500) {
                        break;
                    }
                    after = page.getLast().name();
                }
            } else {
                for (UserPresence user : client.whoIsOnline(users.toArray(String[]::new)).get(60, TimeUnit.SECONDS)) {
                    out.printf("%-32s %s%n", Terminal.escape(user.name()), user.online() ? "online" : "offline");
                }
            }
            return ExitCodes.OK;
        }
    }
}
