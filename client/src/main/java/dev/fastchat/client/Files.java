package dev.fastchat.client;

import dev.fastchat.client.internal.FileTransfer;
import dev.fastchat.client.internal.Messenger;
import dev.fastchat.protocol.Names;
import dev.fastchat.protocol.v1.Content;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.FileInfo;
import dev.fastchat.protocol.v1.FileLookup;
import dev.fastchat.protocol.v1.FileReference;
import dev.fastchat.protocol.v1.History;
import dev.fastchat.protocol.v1.HistoryPage;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Files: sent encrypted end to end (a fresh key each, uploaded in chunks), and fetched, checked and saved. Got from
 * {@link ChatClient#files()}; needs a log-in.
 */
public final class Files {
    private final ChatClient client;

    Files(ChatClient client) {
        this.client = client;
    }

    /**
     * Sends a file: encrypts it with a fresh key, uploads it in chunks (resuming after a dropped
     * connection when auto-reconnect brings it back), then sends a sealed message that shares it. Neither
     * side holds the whole file in memory.
     *
     * @return the acknowledgement of the message; fails with {@code TOO_LARGE} (over the server's file
     *     limit), {@code BAD_REQUEST} (not a readable file), and what {@link ChatClient#send} fails with
     */
    public CompletableFuture<SentMessage> send(Target to, Path file) {
        return client.work(m -> {
            Messenger.Addressed addressed = m.address(to);
            String mediaType = FileTransfer.mediaType(file);
            FileReference reference = transfer().upload(addressed.conversationId(), file, mediaType);
            return m.send(to, Content.newBuilder().setFile(reference).build(), List.of(reference.getFileId()));
        });
    }

    /**
     * Downloads a shared file, decrypts it, checks its SHA-256, and saves it in {@code directory} under the
     * sender's name made safe (no directories, no {@code ..}, no control characters) and never over an
     * existing file ({@code name (1).ext} instead).
     *
     * @return where it was saved; fails with {@code UNKNOWN_FILE} (no such file in a conversation of this
     *     user, or not shared in a message yet), {@code BAD_REQUEST} (it did not decrypt or its hash did
     *     not match: nothing is saved)
     */
    public CompletableFuture<Path> fetch(String fileId, Path directory) {
        if (!dev.fastchat.protocol.FileIds.isValid(fileId)) {
            return CompletableFuture.failedFuture(ChatException.local(ErrorCode.BAD_REQUEST,
                    "'" + Names.printable(fileId) + "' is not a file id (32 hex digits, shown with the message that shared it)"));
        }
        return client.work(m -> transfer().download(reference(m, fileId), directory));
    }

    /** The key and hash of a file: from a message this client opened, or by finding the message that shared it. */
    private FileReference reference(Messenger m, String fileId) {
        return m.fileReference(fileId).orElseGet(() -> {
            FileInfo info = Messenger.await(client.sessionRequest(Envelope.newBuilder().setFileLookup(FileLookup.newBuilder()
                    .setFileId(fileId)))).getFileInfo();
            if (info.getMessageSeq() == 0) {
                throw new ChatException(ErrorCode.UNKNOWN_FILE, "file " + fileId + " was not shared in a message (yet)");
            }
            HistoryPage page = Messenger.await(client.sessionRequest(Envelope.newBuilder().setHistory(History.newBuilder()
                    .setConversationId(info.getConversationId()).setBeforeSeq(info.getMessageSeq() + 1).setLimit(1)))).getHistoryPage();
            m.openAll(page.getMessagesList(), false);
            return m.fileReference(fileId).orElseThrow(() -> new ChatException(ErrorCode.UNKNOWN_FILE,
                    "the message that shared file " + fileId + " does not open on this device"));
        });
    }

    private FileTransfer transfer() {
        return new FileTransfer(client::sessionRequest, client::isSessionLive, client.random);
    }
}
