package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fastchat logout}. */
@Command(name = "logout", mixinStandardHelpOptions = true,
        header = "Ends this device's session (or every session of the account).",
        description = "Ends the session this device keeps on the server and forgets it here, so the next command asks "
                + "for the password again. With --all, every session of the account ends, on every device.")
final class LogoutCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Option(names = "--all", description = "end every session of the account, on every device")
    boolean all;

    @Override
    public Integer call() throws Exception {
        try (ChatClient client = options.loggedIn(all)) {
            if (client.session().isEmpty()) {
                spec.commandLine().getOut().println("no session of " + options.user + " is kept on this device");
                return ExitCodes.OK;
            }
            client.logout(all).get(60, TimeUnit.SECONDS);
            spec.commandLine().getOut().println(all ? "logged out everywhere" : "logged out");
            return ExitCodes.OK;
        }
    }
}
