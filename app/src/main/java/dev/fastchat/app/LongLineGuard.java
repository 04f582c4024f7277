package dev.fastchat.app;

import dev.fastchat.protocol.MessageLimits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.jline.reader.Buffer;
import org.jline.reader.LineReader;
import org.jline.reader.Widget;
import org.jline.utils.NonBlockingReader;

/**
 * Text pasted into a terminal without bracketed paste arrives key by key, and the line editor redraws the whole
 * line after each: a 70 KiB paste took minutes. Installed on a line reader, this takes printable text that is
 * already waiting in one go (one redraw per batch; a person typing is never that fast), and keeps a line no
 * longer than the longest message (in characters; each is at least a byte): what comes after is counted, not
 * kept, so memory stays bounded and the line is refused with its size when sent.
 */
final class LongLineGuard {
    /** The most characters a paste inserts between two redraws. */
    private static final int PASTE_BATCH = 8192;

    /** Bytes typed past the longest line that can be sent; they were not kept. */
    private volatile long droppedBytes;

    /** Replaces the reader's self-insert widget with one that batches and caps. */
    void install(LineReader reader) {
        Widget insert = reader.getWidgets().get(LineReader.SELF_INSERT);
        reader.getWidgets().put(LineReader.SELF_INSERT, () -> {
            StringBuilder text = new StringBuilder(reader.getLastBinding());
            NonBlockingReader input = reader.getTerminal().reader();
            try {
                while (text.length() < PASTE_BATCH || Character.isHighSurrogate(text.charAt(text.length() - 1))) {
                    int next = input.peek(1);
                    if (next < 0x20 || next == 0x7f) { // nothing waiting (a timeout or the end), or a key with a binding
                        break;
                    }
                    text.append((char) input.read(1));
                }
            } catch (IOException e) {
                // what was read so far is inserted; the editor sees the failure on its next read
            }
            Buffer buffer = reader.getBuffer();
            int room = Math.max(0, MessageLimits.MAX_TEXT_BYTES - buffer.length());
            String kept = text.length() <= room ? text.toString() : text.substring(0, room);
            droppedBytes += text.substring(kept.length()).getBytes(StandardCharsets.UTF_8).length;
            if (kept.equals(reader.getLastBinding())) {
                return insert.apply(); // one key, typed: the editor's own insert (overwrite mode, and so on)
            }
            buffer.write(kept);
            return true;
        });
    }

    /**
     * The size in bytes of the line just read, counting what was not kept, if that is over the longest message;
     * 0 otherwise. Starts the count over for the next line.
     */
    long oversizedBytes(String line) {
        long dropped = droppedBytes;
        droppedBytes = 0;
        return dropped == 0 ? 0 : line.getBytes(StandardCharsets.UTF_8).length + dropped;
    }
}
