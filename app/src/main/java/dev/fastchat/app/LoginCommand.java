package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import dev.fastchat.client.SessionInfo;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code fastchat login}. */
@Command(name = "login", mixinStandardHelpOptions = true,
        header = "Logs in and checks the password.",
        description = "Restores the identity keys on this machine from the server's sealed backup if they are missing, "
                + "and keeps the session on this device for later commands (until 'fastchat logout').")
final class LoginCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Override
    public Integer call() throws Exception {
        char[] password = ClientOptions.password(false);
        try (ChatClient client = options.newClient()) {
            ClientOptions.connect(client);
            SessionInfo session = client.login(options.user, password).get(60, TimeUnit.SECONDS);
            spec.commandLine().getOut().printf("logged in as %s (account %d) on %s, node %s%n", session.username(),
                    session.accountId(), options.server, client.serverInfo().orElseThrow().nodeId());
            return ExitCodes.OK;
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
    }
}
