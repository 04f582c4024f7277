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
    @Option(names = "--server", scope = ScopeType.INHERIT, paramLabel = "HOST:PORT[,...]", defaultValue = "127.0.0.1:7420",
            description = "the server, or the nodes of a cluster separated by commas (default ${DEFAULT-VALUE}; "
                    + "or FASTCHAT_SERVER, or server= in the client config file)")
    String server;

    @Option(names = "--user", scope = ScopeType.INHERIT, paramLabel = "NAME",
            description = "the user name (or FASTCHAT_USER, or user= in the client config file)")
    String user;

    @Option(names = "--tls", scope = ScopeType.INHERIT,
            description = "connect with TLS, trusting the system's certificates (or FASTCHAT_TLS=true, or tls=true in the file)")
    boolean tls;

    @Option(names = "--server-cert", scope = ScopeType.INHERIT, paramLabel = "PEM", description = "connect with TLS, trusting exactly this certificate (or FASTCHAT_SERVER_CERT, or server-cert= in the file)")
    Path serverCert;

    @Option(names = "--insecure-plaintext", scope = ScopeType.INHERIT,
            description = "connect over plain TCP, without TLS, to a server started with --insecure-plaintext: anyone on the "
                    + "network can read your auth key and pose as the server (or FASTCHAT_INSECURE_PLAINTEXT=true, or "
                    + "insecure-plaintext=true in the file). By default the connection is TLS, and a server's certificate is "
                    + "pinned on the first connection (shown then) and checked on every later one, as SSH does")
    boolean insecurePlaintext;

    @Option(names = "--keys", scope = ScopeType.INHERIT, paramLabel = "DIR", description = "key store directory (default ~/.config/fastchat/keys; or FASTCHAT_KEYS, or keys= in the file)")
    Path keys;

    @Option(names = "--no-read-receipts", scope = ScopeType.INHERIT,
            description = "do not tell senders when you read their messages; they still see that their messages arrived (or "
                    + "FASTCHAT_NO_READ_RECEIPTS=true, or no-read-receipts=true in the file)")
    boolean noReadReceipts;

    ChatClient newClient() {
        return builder().build();
    }

    /** A client builder for these options (server, TLS, key store). */
    ChatClient.Builder builder() {
        if (user == null || user.isBlank()) {
            throw new IllegalArgumentException("who are you? give --user NAME, set FASTCHAT_USER, or put user=NAME in "
                    + ClientDefaults.file(System.getenv()));
        }
        ChatClient.Builder builder = ChatClient.builder();
        for (String node : server.split(",")) {
            HostAndPort address = HostAndPort.parse(node.strip());
            builder.server(address.host(), address.port());
        }
        builder.keyStoreDirectory(keys != null ? keys : LocalKeyStore.defaultDirectory())
                .clientName("fastchat-cli")
                .keepSession(true)
                .readReceipts(!noReadReceipts)
                .tls(tls)
                .insecurePlaintext(insecurePlaintext);
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
            connect(client);
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
     * Connects {@code client}; on the first connection to a server, tells the user (on standard error) the
     * fingerprint of the certificate just pinned, to compare with the one the server printed at start-up.
     */
    static dev.fastchat.client.ServerInfo connect(ChatClient client) throws Exception {
        dev.fastchat.client.ServerInfo info = client.connect().get(60, TimeUnit.SECONDS);
        if (info.certificatePinnedNow()) {
            System.err.println("First connection to this server: pinned its TLS certificate " + info.certificateFingerprint()
                    + " (the server prints its fingerprint at start-up: they should match). Later connections check it.");
        }
        return info;
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
