package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import dev.fastchat.client.SessionInfo;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code fastchat register}. */
@Command(name = "register", mixinStandardHelpOptions = true,
        header = "Creates an account and its identity keys.",
        description = "The password (FASTCHAT_PASSWORD, or asked without echo) never leaves this machine: only a key "
                + "derived from it with Argon2id is sent. The session is kept on this device for later commands.")
final class RegisterCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Override
    public Integer call() throws Exception {
        char[] password = ClientOptions.password(true);
        try (ChatClient client = options.newClient()) {
            ClientOptions.connect(client);
            SessionInfo session = client.register(options.user, password).get(60, TimeUnit.SECONDS);
            spec.commandLine().getOut().printf("registered %s (account %d) on %s; keys in %s%n", session.username(),
                    session.accountId(), options.server, client.keyStoreFile(session.username()));
            return ExitCodes.OK;
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
    }
}
