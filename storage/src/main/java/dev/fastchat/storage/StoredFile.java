package dev.fastchat.storage;

import java.time.Instant;

/**
 * A file as the server keeps it: where it was uploaded, by whom, its size and chunking, and how far the
 * upload got.
 *
 * @param received chunks stored so far (chunks {@code 0 .. received - 1})
 * @param storedBytes ciphertext bytes stored so far
 * @param messageSeq the seq of the message that shared it (0 until sent)
 */
public record StoredFile(String id, String conversationId, long uploaderId, long size, int chunkSize, int chunkCount,
                         int received, long storedBytes, boolean complete, long messageSeq, Instant createdAt) {}
