package dev.fastchat.server.file;

import com.google.protobuf.ByteString;
import dev.fastchat.protocol.v1.Download;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.FileChunk;
import dev.fastchat.protocol.v1.FileInfo;
import dev.fastchat.protocol.v1.FileLookup;
import dev.fastchat.protocol.v1.UploadChunk;
import dev.fastchat.protocol.v1.UploadDone;
import dev.fastchat.protocol.v1.UploadStart;
import dev.fastchat.protocol.v1.UploadState;
import dev.fastchat.server.config.MessagingConfig;
import dev.fastchat.server.session.Connection;
import dev.fastchat.server.session.ConnectionState.LoggedIn;
import dev.fastchat.server.session.RequestBounds;
import dev.fastchat.server.session.RequestRefusedException;
import dev.fastchat.storage.ConversationRefusedException;
import dev.fastchat.storage.FileRepository;
import dev.fastchat.storage.StoredFile;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encrypted file uploads and downloads. The server stores the ciphertext chunks it is given and never
 * holds a key: it checks only what it can (membership, order, sizes). A file is counted against the limit
 * as its chunks arrive: an upload that grows past what it declared is refused with {@code TOO_LARGE} at
 * once and removed. Uploads left unfinished for the upload timeout are removed by a sweeper. One chunk at
 * a time is in memory, never a whole file.
 */
public final class FileService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FileService.class);
    /** What AES-GCM adds to each chunk (its tag): the most a chunk may grow by. */
    private static final int CHUNK_OVERHEAD = 16;

    private final FileRepository files;
    private final MessagingConfig config;
    private final Clock clock;
    private final SecureRandom random;
    private final ScheduledExecutorService sweeper;

    public FileService(FileRepository files, MessagingConfig config, Clock clock, SecureRandom random) {
        this.files = files;
        this.config = config;
        this.clock = clock;
        this.random = random;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("fastchat-upload-sweeper").daemon(true).factory());
        long every = Math.clamp(config.uploadTimeout().toMillis() / 2, 200, Duration.ofSeconds(30).toMillis());
        sweeper.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
    }

    /** Starts an upload, or reports where the user's own unfinished upload stands. */
    public CompletableFuture<Envelope.Builder> start(Connection connection, UploadStart request) {
        LoggedIn user = connection.state().user();
        if (!request.getFileId().isEmpty()) {
            return done(state(own(request.getFileId(), user.accountId())));
        }
        long size = RequestBounds.size(request.getSize(), "size");
        if (size > config.maxFileBytes()) {
            throw new RequestRefusedException(ErrorCode.TOO_LARGE, "the file is " + size + " bytes; the limit is "
                    + config.maxFileBytes() + " bytes");
        }
        int chunkSize = config.fileChunkBytes();
        int chunkCount = (int) Math.max(1, (size + chunkSize - 1) / chunkSize);
        byte[] id = new byte[16];
        random.nextBytes(id);
        return files.start(HexFormat.of().formatHex(id), request.getConversationId(), user.accountId(), size,
                        chunkSize, chunkCount, config.maxStorageBytesPerAccount(), clock.instant())
                .thenApply(FileService::state);
    }

    /** Stores the next chunk; over the declared size, the whole upload is refused and removed. */
    public CompletableFuture<Envelope.Builder> chunk(Connection connection, UploadChunk request) {
        LoggedIn user = connection.state().user();
        StoredFile file = own(request.getFileId(), user.accountId());
        long allowed = file.size() + (long) file.chunkCount() * CHUNK_OVERHEAD;
        int index = RequestBounds.index(request.getIndex(), "chunk index");
        return files.appendChunk(file.id(), user.accountId(), index, request.getData().toByteArray(), allowed, clock.instant())
                .handle((stored, failure) -> {
                    if (failure == null) {
                        return state(stored);
                    }
                    Throwable cause = failure instanceof java.util.concurrent.CompletionException ? failure.getCause() : failure;
                    if (cause instanceof ConversationRefusedException refused && refused.reason() == ConversationRefusedException.Reason.TOO_LARGE) {
                        files.delete(file.id()); // nothing of a refused upload stays behind
                        throw new RequestRefusedException(ErrorCode.TOO_LARGE, "the file is larger than the " + file.size()
                                + " bytes it was started with; the upload was removed");
                    }
                    throw cause instanceof RuntimeException runtime ? runtime : new java.util.concurrent.CompletionException(cause);
                });
    }

    public CompletableFuture<Envelope.Builder> finish(Connection connection, UploadDone request) {
        LoggedIn user = connection.state().user();
        return files.complete(request.getFileId(), user.accountId(), clock.instant()).thenApply(FileService::state);
    }

    /** What a member may know of a file: its conversation, the message that shared it, its size. */
    public CompletableFuture<Envelope.Builder> lookup(Connection connection, FileLookup request) {
        StoredFile file = visible(request.getFileId(), connection.state().user().accountId());
        return done(Envelope.newBuilder().setFileInfo(FileInfo.newBuilder()
                .setFileId(file.id())
                .setConversationId(file.conversationId())
                .setMessageSeq(file.messageSeq())
                .setSize(file.size())
                .setChunkSize(file.chunkSize())
                .setChunkCount(file.chunkCount())
                .setComplete(file.complete())));
    }

    public CompletableFuture<Envelope.Builder> download(Connection connection, Download request) {
        StoredFile file = visible(request.getFileId(), connection.state().user().accountId());
        if (!file.complete()) {
            throw new RequestRefusedException(ErrorCode.UNKNOWN_FILE, "the upload of " + file.id() + " is not finished");
        }
        int index = RequestBounds.index(request.getIndex(), "chunk index");
        if (index >= file.chunkCount()) {
            throw new RequestRefusedException(ErrorCode.BAD_REQUEST, "file " + file.id() + " has " + file.chunkCount() + " chunks");
        }
        byte[] data = files.chunk(file.id(), index)
                .orElseThrow(() -> new RequestRefusedException(ErrorCode.UNKNOWN_FILE, "file " + file.id() + " was removed"));
        return done(Envelope.newBuilder().setFileChunk(FileChunk.newBuilder()
                .setFileId(file.id()).setIndex(index).setData(ByteString.copyFrom(data)).setChunkCount(file.chunkCount())));
    }

    /** Records which message shared these files (after the message was stored). */
    public void attach(List<String> fileIds, String conversationId, long senderId, long seq) {
        if (!fileIds.isEmpty()) {
            files.attach(fileIds, conversationId, senderId, seq).exceptionally(e -> {
                log.warn("could not link files {} to {} seq {}: {}", fileIds, conversationId, seq, e.getMessage());
                return 0;
            });
        }
    }

    private StoredFile own(String fileId, long accountId) {
        return files.find(fileId).filter(f -> f.uploaderId() == accountId)
                .orElseThrow(() -> new RequestRefusedException(ErrorCode.UNKNOWN_FILE, "no upload " + fileId + " of yours"));
    }

    /** The file, if this account is a member of its conversation; unknown otherwise (not even its existence leaks). */
    private StoredFile visible(String fileId, long accountId) {
        return files.find(fileId).filter(f -> files.canAccess(f.conversationId(), accountId))
                .orElseThrow(() -> new RequestRefusedException(ErrorCode.UNKNOWN_FILE,
                        "no file " + fileId + " in a conversation of yours"));
    }

    private static Envelope.Builder state(StoredFile file) {
        return Envelope.newBuilder().setUploadState(UploadState.newBuilder()
                .setFileId(file.id())
                .setChunkSize(file.chunkSize())
                .setChunkCount(file.chunkCount())
                .setNextChunk(file.received())
                .setComplete(file.complete()));
    }

    private static CompletableFuture<Envelope.Builder> done(Envelope.Builder response) {
        return CompletableFuture.completedFuture(response);
    }

    private void sweep() {
        try {
            int removed = files.deleteAbandoned(clock.instant().minus(config.uploadTimeout())).get(60, TimeUnit.SECONDS);
            if (removed > 0) {
                log.info("removed {} abandoned upload(s)", removed);
            }
        } catch (Exception e) {
            log.warn("could not remove abandoned uploads: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
