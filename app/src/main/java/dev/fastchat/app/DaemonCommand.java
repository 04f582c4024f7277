package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fastchat daemon}. */
@Command(name = "daemon", mixinStandardHelpOptions = true,
        header = "Keeps one logged-in session and serves JSON-RPC 2.0 to bots and scripts, as signal-cli's daemon does.",
        description = "Listens on a Unix socket only its owner can reach (--socket; by default $XDG_RUNTIME_DIR/fastchat/USER.sock, "
                + "else ~/.config/fastchat/run/USER.sock, which one-shot commands such as send, react and delete use when it "
                + "answers for the same user and server), or speaks on "
                + "standard input and output with --stdio. One request per line, one response per line; a connection that "
                + "calls subscribe gets every event (messages, receipts, typing, presence, membership, deletions) as "
                + "notifications. Methods and events: docs/daemon.md. Runs until interrupted (or, with --stdio, until its "
                + "input ends).")
final class DaemonCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Option(names = "--socket", paramLabel = "PATH", description = "the Unix socket to listen on (default: "
            + "$XDG_RUNTIME_DIR/fastchat/USER.sock, else ~/.config/fastchat/run/USER.sock)")
    Path socket;

    @Option(names = "--stdio", description = "serve one client on standard input and output instead (events from the start)")
    boolean stdio;

    @Override
    public Integer call() throws Exception {
        JsonRpcDaemon daemon = new JsonRpcDaemon(options.user, options.server);
        try (ChatClient client = options.builder().autoReconnect(true).listener(daemon).build()) {
            ClientOptions.connect(client);
            if (client.resumeKept(options.user).get(60, TimeUnit.SECONDS).isEmpty()) {
                char[] password = ClientOptions.password(false);
                try {
                    client.login(options.user, password).get(60, TimeUnit.SECONDS);
                } finally {
                    java.util.Arrays.fill(password, '\0');
                }
            }
            daemon.serveFor(client);
            if (stdio) {
                daemon.serve(System.in, System.out, true);
                return ExitCodes.OK;
            }
            Path path = socket != null ? socket : DaemonSocket.path(options.user);
            listen(daemon, path);
            return ExitCodes.OK;
        }
    }

    /** Accepts connections on an owner-only Unix socket, each served on a virtual thread of its own, until interrupted. */
    private static void listen(JsonRpcDaemon daemon, Path path) throws IOException {
        Path directory = path.toAbsolutePath().getParent();
        if (Files.notExists(directory)) {
            Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (DaemonSocket.answers(path)) {
            throw new IllegalArgumentException("a daemon already listens on " + path);
        }
        Files.deleteIfExists(path); // left by a daemon that did not end cleanly
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    // nothing more to do on the way out
                }
            }));
            System.err.println("fastchat daemon: " + path + " (JSON-RPC 2.0, one request per line)");
            while (true) {
                SocketChannel channel = server.accept();
                Thread.ofVirtual().name("fastchat-daemon-client").start(() -> {
                    try (channel) {
                        daemon.serve(Channels.newInputStream(channel), Channels.newOutputStream(channel), false);
                    } catch (IOException e) {
                        // the client went away
                    }
                });
            }
        }
    }
}
