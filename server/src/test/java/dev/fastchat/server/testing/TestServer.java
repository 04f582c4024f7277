package dev.fastchat.server.testing;

import dev.fastchat.server.FastChatServer;
import dev.fastchat.server.config.ConfigLoader;
import dev.fastchat.server.config.HostAndPort;
import dev.fastchat.server.config.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A real server on an ephemeral loopback port for tests, with cheap KDF parameters allowed and a SQLite
 * file in the given directory unless a database URL is given.
 */
public final class TestServer implements AutoCloseable {
    private final FastChatServer server;

    private TestServer(FastChatServer server) {
        this.server = server;
    }

    /** Settings every test server uses, overridable. */
    public static Map<String, String> baseSettings(Path dataDir) {
        Map<String, String> settings = new HashMap<>();
        settings.put("listen", "127.0.0.1:0");
        settings.put("data", dataDir.toString());
        settings.put("min-kdf-memory-kib", "8");
        settings.put("min-kdf-iterations", "1");
        settings.put("shutdown-grace", "2s");
        // Most tests speak the protocol over plain sockets (half frames, raw bytes); the TLS default has tests of its own.
        settings.put("insecure-plaintext", "true");
        // Tests run many clients from 127.0.0.1: the per-address caps apply to 127.0.0.2 and up (the tests of
        // the caps connect from there), the per-account group limits are lifted (a test adds 256 members).
        settings.put("exempt-addresses", "127.0.0.1");
        settings.put("group-creations-per-minute", "100000");
        settings.put("member-additions-per-minute", "100000");
        return settings;
    }

    /** Starts a server with the base settings plus {@code overrides}. */
    public static TestServer start(Path dataDir, Map<String, String> overrides) {
        Map<String, String> settings = baseSettings(dataDir);
        settings.putAll(overrides);
        return start(ConfigLoader.load(settings));
    }

    public static TestServer start(Path dataDir) {
        return start(dataDir, Map.of());
    }

    public static TestServer start(ServerConfig config) {
        try {
            return new TestServer(FastChatServer.start(config));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public FastChatServer server() {
        return server;
    }

    public HostAndPort address() {
        return server.address();
    }

    public int port() {
        return server.address().port();
    }

    /** A raw protocol client connected to this server. */
    public WireClient connect() {
        return WireClient.connect(address());
    }

    @Override
    public void close() {
        server.close();
    }
}
