package dev.fastchat.storage;

import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Files as encrypted chunks. Writes are durable when their future completes and fail with
 * {@link ConversationRefusedException} when a rule is broken (not a member, unknown or foreign file, chunk
 * out of order, over the limit), or {@link StorageException}.
 */
public interface FileRepository {

    /** Starts an upload to a conversation the uploader may write to (the peer of a direct one must exist). */
    CompletableFuture<StoredFile> start(String fileId, String conversationId, long uploaderId, long size, int chunkSize,
                                        int chunkCount, long quotaBytes, Instant now);

    Optional<StoredFile> find(String fileId);

    /**
     * Stores the next chunk of the uploader's incomplete file: {@code index} must be the number of chunks
     * stored so far, and the ciphertext stored must stay within {@code maxStoredBytes}.
     */
    CompletableFuture<StoredFile> appendChunk(String fileId, long uploaderId, int index, byte[] data, long maxStoredBytes,
                                              Instant now);

    /** Marks the uploader's file complete once every chunk is stored (at {@code now}: the message sharing it is due). */
    CompletableFuture<StoredFile> complete(String fileId, long uploaderId, Instant now);

    /** One stored chunk. */
    Optional<byte[]> chunk(String fileId, int index);

    /** Whether {@code accountId} is a current member of the conversation (a direct one: one of its two). */
    boolean canAccess(String conversationId, long accountId);

    /** Records which message shared the sender's complete files of that conversation. */
    CompletableFuture<Integer> attach(Collection<String> fileIds, String conversationId, long senderId, long seq);

    /** Removes a file and its chunks. */
    CompletableFuture<Boolean> delete(String fileId);

    /**
     * Removes the uploads last touched before {@code before} that are unfinished, or finished but shared in no
     * message; returns how many.
     */
    CompletableFuture<Integer> deleteAbandoned(Instant before);
}
