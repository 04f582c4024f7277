package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import dev.fastchat.client.internal.LocalKeyStore;
import dev.fastchat.server.config.HostAndPort;
import java.io.Console;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** Options every client command shares: where the server is, how to trust it, who the user is. */
final class ClientOptions {
    @Option(names = "--server", scope = ScopeType.INHERIT, paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:7420",
            description = "the server (default ${DEFAULT-VALUE})")
    String server;

    @Option(names = "--user", scope = ScopeType.INHERIT, paramLabel = "NAME", required = true, description = "the user name")
    String user;

    @Option(names = "--tls", scope = ScopeType.INHERIT, description = "connect with TLS, trusting the system's certificates")
    boolean tls;

    @Option(names = "--server-cert", scope = ScopeType.INHERIT, paramLabel = "PEM", description = "connect with TLS, trusting exactly this certificate")
    Path serverCert;

    @Option(names = "--keys", scope = ScopeType.INHERIT, paramLabel = "DIR", description = "key store directory (default ~/.config/fastchat/keys)")
    Path keys;

    ChatClient newClient() {
        return builder().build();
    }

    /** A client builder for these options (server, TLS, key store). */
    ChatClient.Builder builder() {
        HostAndPort address = HostAndPort.parse(server);
        ChatClient.Builder builder = ChatClient.builder()
                .server(address.host(), address.port())
                .keyStoreDirectory(keys != null ? keys : LocalKeyStore.defaultDirectory())
                .clientName("fastchat-cli")
                .keepSession(true)
                .tls(tls);
        if (serverCert != null) {
            builder.serverCertificate(serverCert);
        }
        return builder;
    }

    /**
     * A client that is connected and logged in: with the session this device kept from an earlier log-in, or
     * else with the password (from {@code FASTCHAT_PASSWORD} or the terminal), keeping that session.
     */
    ChatClient loggedIn() throws Exception {
        return loggedIn(true);
    }

    /**
     * A connected client, logged in with this device's kept session, or else with the password if
     * {@code withPassword} (and not logged in at all otherwise).
     */
    ChatClient loggedIn(boolean withPassword) throws Exception {
        ChatClient client = newClient();
        try {
            client.connect().get(60, TimeUnit.SECONDS);
            if (client.resumeKept(user).get(60, TimeUnit.SECONDS).isEmpty() && withPassword) {
                char[] password = password(false);
                try {
                    client.login(user, password).get(60, TimeUnit.SECONDS);
                } finally {
                    java.util.Arrays.fill(password, '\0');
                }
            }
            return client;
        } catch (Exception e) {
            client.close();
            throw e;
        }
    }

    /**
     * The password: {@code FASTCHAT_PASSWORD} if set, else asked on the terminal without echo.
     *
     * @param confirm ask twice (for a new password)
     */
    static char[] password(boolean confirm) {
        String fromEnvironment = System.getenv("FASTCHAT_PASSWORD");
        if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
            return fromEnvironment.toCharArray();
        }
        Console console = System.console();
        if (console == null) {
            throw new IllegalArgumentException("no password: set FASTCHAT_PASSWORD or run in a terminal");
        }
        char[] password = console.readPassword("Password: ");
        if (password == null || password.length == 0) {
            throw new IllegalArgumentException("the password is empty");
        }
        if (confirm && !java.util.Arrays.equals(password, console.readPassword("Repeat it: "))) {
            throw new IllegalArgumentException("the passwords differ");
        }
        return password;
    }
}
