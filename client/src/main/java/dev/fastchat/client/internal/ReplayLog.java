package dev.fastchat.client.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each message this device showed was shown, kept across sessions: (sender, client message id) to
 * (conversation, seq). A server that stores a copy of a message at another seq is caught in any later
 * session, not only in the one that saw the first. One line per message, appended (not synced: a crash may
 * lose the last lines, never reorder them; the file stays open for appending while the session lasts); rewritten with the newest {@code limit} entries when it has
 * grown to twice that. The client message id is chosen by the sender, so it is written Base64-encoded.
 */
final class ReplayLog implements AutoCloseable {
    private final Path file;
    private final int limit;
    /** Open for appending from the first new entry until {@link #close}. */
    private java.nio.channels.FileChannel appender;

    ReplayLog(Path file, int limit) {
        this.file = file;
        this.limit = limit;
    }

    /** The entries, oldest first (the newest {@code limit} of them); compacts the file when it grew too long. */
    synchronized Map<String, String> load() {
        Map<String, String> entries = new LinkedHashMap<>();
        if (!Files.exists(file)) {
            return entries;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        for (String line : lines) {
            String[] parts = line.split("\t");
            if (parts.length != 3) {
                continue; // a line cut by a crash
            }
            try {
                String origin = parts[0] + "/" + new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
                entries.remove(origin);
                entries.put(origin, parts[2]);
            } catch (IllegalArgumentException e) {
                // a damaged line: skipped
            }
        }
        while (entries.size() > limit) {
            entries.remove(entries.keySet().iterator().next());
        }
        if (lines.size() > 2 * limit) {
            rewrite(entries);
        }
        return entries;
    }

    /** Records that the message {@code senderId}/{@code clientMsgId} was shown at {@code where}. */
    synchronized void append(long senderId, String clientMsgId, String where) {
        try {
            if (appender == null) {
                LocalKeyStore.createPrivateFile(file);
                appender = java.nio.channels.FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            }
            java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap((line(senderId, clientMsgId, where) + "\n")
                    .getBytes(StandardCharsets.US_ASCII));
            while (bytes.hasRemaining()) {
                appender.write(bytes);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Stops appending (the file stays); a later {@link #append} opens it again. */
    @Override
    public synchronized void close() {
        if (appender != null) {
            try {
                appender.close();
            } catch (IOException e) {
                // nothing was buffered: every line was written when it was appended
            }
            appender = null;
        }
    }

    private void rewrite(Map<String, String> entries) {
        close();
        List<String> lines = new ArrayList<>(entries.size());
        entries.forEach((origin, where) -> {
            int slash = origin.indexOf('/');
            lines.add(line(Long.parseLong(origin.substring(0, slash)), origin.substring(slash + 1), where));
        });
        write(lines, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
    }

    private static String line(long senderId, String clientMsgId, String where) {
        return senderId + "\t" + Base64.getUrlEncoder().withoutPadding().encodeToString(clientMsgId.getBytes(StandardCharsets.UTF_8))
                + "\t" + where;
    }

    private void write(List<String> lines, StandardOpenOption... options) {
        try {
            LocalKeyStore.createPrivateFile(file);
            Files.write(file, lines, StandardCharsets.US_ASCII, options);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
