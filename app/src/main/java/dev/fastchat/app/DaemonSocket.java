package dev.fastchat.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fastchat.client.ChatException;
import dev.fastchat.protocol.v1.ErrorCode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where a user's daemon listens, and a connection to it for one-shot commands: they hand their work to a running
 * daemon of the same user and server (no new session, no TLS handshake) and fall back to their own session when there
 * is none.
 */
final class DaemonSocket implements AutoCloseable {
    private final SocketChannel channel;
    private final OutputStream out;
    private final BufferedReader in;
    private long nextId = 1;

    private DaemonSocket(SocketChannel channel) {
        this.channel = channel;
        this.out = Channels.newOutputStream(channel);
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    }

    /**
     * The socket of {@code user}'s daemon: {@code FASTCHAT_DAEMON_SOCKET} if set, else
     * {@code $XDG_RUNTIME_DIR/fastchat/USER.sock}, else {@code run/USER.sock} beside the client config file.
     */
    static Path path(String user) {
        Map<String, String> environment = System.getenv();
        String named = environment.get("FASTCHAT_DAEMON_SOCKET");
        if (named != null && !named.isBlank()) {
            return Path.of(named);
        }
        String runtime = environment.get("XDG_RUNTIME_DIR");
        Path directory = runtime != null && !runtime.isBlank() ? Path.of(runtime, "fastchat")
                : ClientDefaults.file(environment).getParent().resolve("run");
        return directory.resolve(user + ".sock");
    }

    /** Whether a daemon answers on {@code path}. */
    static boolean answers(Path path) {
        if (!Files.exists(path)) {
            return false;
        }
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            return channel.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    /** A connection to the daemon of this user and server, if one runs. */
    static Optional<DaemonSocket> open(String user, String server) {
        if (user == null || user.isBlank()) {
            return Optional.empty();
        }
        Path path = path(user);
        if (!Files.exists(path)) {
            return Optional.empty();
        }
        DaemonSocket daemon;
        try {
            daemon = new DaemonSocket(SocketChannel.open(UnixDomainSocketAddress.of(path)));
        } catch (IOException e) {
            return Optional.empty(); // a socket left behind by a daemon that ended
        }
        try {
            JsonNode version = daemon.call("version", JsonRpcDaemon.JSON.createObjectNode());
            if (user.equals(version.path("user").asText()) && server.equals(version.path("server").asText())) {
                return Optional.of(daemon);
            }
        } catch (IOException | ChatException e) {
            // not ours to use
        }
        daemon.close();
        return Optional.empty();
    }

    /** Calls a method and returns its result; an error response becomes a ChatException with the server's code. */
    JsonNode call(String method, ObjectNode params) throws IOException {
        ObjectNode request = JsonRpcDaemon.JSON.createObjectNode().put("jsonrpc", "2.0").put("method", method).put("id", nextId++);
        request.set("params", params);
        out.write(JsonRpcDaemon.JSON.writeValueAsBytes(request));
        out.write('\n');
        out.flush();
        while (true) {
            String line = in.readLine();
            if (line == null) {
                throw new IOException("the daemon closed the connection");
            }
            JsonNode response = JsonRpcDaemon.JSON.readTree(line);
            if (!response.has("id")) {
                continue; // an event
            }
            if (response.has("error")) {
                JsonNode error = response.get("error");
                String code = error.path("data").path("code").asText("");
                String message = error.path("message").asText();
                if (code.isEmpty() || error.path("data").path("local").asBoolean(false)) {
                    throw ChatException.local(code.isEmpty() ? ErrorCode.BAD_REQUEST : parse(code), message);
                }
                throw new ChatException(parse(code), message);
            }
            return response.get("result");
        }
    }

    private static ErrorCode parse(String code) {
        try {
            return ErrorCode.valueOf(code);
        } catch (IllegalArgumentException e) {
            return ErrorCode.INTERNAL;
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
