package dev.fastchat.client.internal;

import dev.fastchat.client.ChatException;
import dev.fastchat.protocol.v1.ErrorCode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

/**
 * The TLS certificates of servers this user connected to, pinned on first use as SSH pins host keys: one
 * line per server, {@code HOST:PORT SHA256:...}, in an owner-only file ({@code known_servers} beside the
 * identity keys). A server that later shows another certificate is refused, loudly, until its line is
 * removed.
 */
public final class KnownServers {
    private final Path file;

    public KnownServers(Path file) {
        this.file = file;
    }

    /** Whether a certificate was pinned just now (first connection) or matched the pin. */
    public enum Outcome { PINNED_NOW, MATCHED }

    /**
     * Checks {@code fingerprint} against the pin of {@code server}, pinning it if there is none.
     *
     * @throws ChatException {@code UNTRUSTED_SERVER} if another certificate is pinned for the server
     */
    public synchronized Outcome check(String server, String fingerprint) {
        Optional<String> pinned = pinned(server);
        if (pinned.isEmpty()) {
            try {
                LocalKeyStore.createPrivateFile(file);
                Files.writeString(file, server + " " + fingerprint + "\n", StandardCharsets.US_ASCII, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file, e);
            }
            return Outcome.PINNED_NOW;
        }
        if (!pinned.get().equals(fingerprint)) {
            throw new ChatException(ErrorCode.UNTRUSTED_SERVER, "WARNING: the server at " + server + " shows another TLS certificate ("
                    + fingerprint + ") than the one pinned on the first connection (" + pinned.get() + "). Someone may be"
                    + " intercepting the connection to read your auth key and messages. Not connecting. If the server's"
                    + " certificate was really replaced (ask its operator for the new fingerprint), remove the line of "
                    + server + " from " + file);
        }
        return Outcome.MATCHED;
    }

    private Optional<String> pinned(String server) {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
            for (String line : lines) {
                String[] parts = line.trim().split("\\s+");
                if (parts.length == 2 && parts[0].equals(server)) {
                    return Optional.of(parts[1]);
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
