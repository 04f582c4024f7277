package dev.fastchat.storage.jdbc;

import dev.fastchat.protocol.ConversationId;
import dev.fastchat.storage.ConversationRefusedException;
import dev.fastchat.storage.ConversationRefusedException.Reason;
import dev.fastchat.storage.FileRepository;
import dev.fastchat.storage.StoredFile;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Files on JDBC: chunks are rows of {@code file_chunks}, written through the group-commit writer. */
final class JdbcFileRepository implements FileRepository {
    private static final String SELECT = """
            SELECT id, conversation_id, uploader_id, size, chunk_size, chunk_count, received, stored_bytes, complete,
                   message_seq, created_at
            FROM files
            """;
    /** Whether an account may use a conversation: one of a direct pair whose peer exists, or a current group member. */
    private static final String DIRECT_PEER = "SELECT 1 FROM accounts WHERE id = ?";
    private static final String GROUP_MEMBER = "SELECT 1 FROM members WHERE conversation_id = ? AND account_id = ? AND left_seq IS NULL";

    private final Jdbc jdbc;
    private final GroupCommitWriter writer;

    JdbcFileRepository(Jdbc jdbc, GroupCommitWriter writer) {
        this.jdbc = jdbc;
        this.writer = writer;
    }

    @Override
    public CompletableFuture<StoredFile> start(String fileId, String conversationId, long uploaderId, long size, int chunkSize,
                                               int chunkCount, long quotaBytes, Instant now) {
        return writer.submit("start upload", connection -> {
            requireAccess(connection, conversationId, uploaderId);
            // In the transaction that adds the file, so that uploads started at once cannot pass the quota together.
            long used = Jdbc.query(connection, "SELECT COALESCE(SUM(size), 0) FROM files WHERE uploader_id = ?",
                    s -> s.setLong(1, uploaderId), row -> row.getLong(1)).getFirst();
            if (used + size > quotaBytes) {
                throw new ConversationRefusedException(Reason.QUOTA_EXCEEDED, "your files take " + used + " of your "
                        + quotaBytes + " bytes; this one (" + size + " bytes) does not fit");
            }
            Jdbc.update(connection, """
                    INSERT INTO files (id, conversation_id, uploader_id, size, chunk_size, chunk_count, received, stored_bytes,
                                       complete, message_seq, created_at, touched_at)
                    VALUES (?, ?, ?, ?, ?, ?, 0, 0, FALSE, NULL, ?, ?)
                    """, s -> {
                        s.setString(1, fileId);
                        s.setString(2, conversationId);
                        s.setLong(3, uploaderId);
                        s.setLong(4, size);
                        s.setInt(5, chunkSize);
                        s.setInt(6, chunkCount);
                        s.setLong(7, now.toEpochMilli());
                        s.setLong(8, now.toEpochMilli());
                    });
            return load(connection, fileId).orElseThrow();
        });
    }

    @Override
    public Optional<StoredFile> find(String fileId) {
        return jdbc.queryOne("find file", SELECT + " WHERE id = ?", s -> s.setString(1, fileId), JdbcFileRepository::map);
    }

    @Override
    public CompletableFuture<StoredFile> appendChunk(String fileId, long uploaderId, int index, byte[] data, long maxStoredBytes,
                                                     Instant now) {
        return writer.submit("store file chunk", connection -> {
            StoredFile file = own(connection, fileId, uploaderId);
            if (file.complete() || index != file.received()) {
                throw new ConversationRefusedException(Reason.OUT_OF_ORDER, file.complete()
                        ? "the upload of " + fileId + " is complete"
                        : "expected chunk " + file.received() + " of " + fileId + ", not chunk " + index);
            }
            if (index >= file.chunkCount() || file.storedBytes() + data.length > maxStoredBytes) {
                throw new ConversationRefusedException(Reason.TOO_LARGE, "the upload of " + fileId + " is larger than it said");
            }
            Jdbc.update(connection, "INSERT INTO file_chunks (file_id, idx, data) VALUES (?, ?, ?)", s -> {
                s.setString(1, fileId);
                s.setInt(2, index);
                s.setBytes(3, data);
            });
            Jdbc.update(connection, "UPDATE files SET received = received + 1, stored_bytes = stored_bytes + ?, touched_at = ? WHERE id = ?",
                    s -> {
                        s.setLong(1, data.length);
                        s.setLong(2, now.toEpochMilli());
                        s.setString(3, fileId);
                    });
            return load(connection, fileId).orElseThrow();
        });
    }

    @Override
    public CompletableFuture<StoredFile> complete(String fileId, long uploaderId, Instant now) {
        return writer.submit("complete upload", connection -> {
            StoredFile file = own(connection, fileId, uploaderId);
            if (file.received() != file.chunkCount()) {
                throw new ConversationRefusedException(Reason.OUT_OF_ORDER,
                        "the upload of " + fileId + " has " + file.received() + " of " + file.chunkCount() + " chunks");
            }
            Jdbc.update(connection, "UPDATE files SET complete = TRUE, touched_at = ? WHERE id = ?", s -> {
                s.setLong(1, now.toEpochMilli()); // the message sharing it has upload-timeout from now
                s.setString(2, fileId);
            });
            return load(connection, fileId).orElseThrow();
        });
    }

    @Override
    public Optional<byte[]> chunk(String fileId, int index) {
        return jdbc.queryOne("read file chunk", "SELECT data FROM file_chunks WHERE file_id = ? AND idx = ?", s -> {
            s.setString(1, fileId);
            s.setInt(2, index);
        }, row -> row.getBytes(1));
    }

    @Override
    public boolean canAccess(String conversationId, long accountId) {
        Optional<ConversationId> conversation = ConversationId.parse(conversationId);
        if (conversation.isEmpty()) {
            return false;
        }
        if (conversation.get().isDirect()) {
            return conversation.get().involves(accountId) && !jdbc.queryList("find account", DIRECT_PEER,
                    s -> s.setLong(1, conversation.get().peerOf(accountId)), row -> 1).isEmpty();
        }
        return !jdbc.queryList("check membership", GROUP_MEMBER, s -> {
            s.setString(1, conversationId);
            s.setLong(2, accountId);
        }, row -> 1).isEmpty();
    }

    @Override
    public CompletableFuture<Integer> attach(Collection<String> fileIds, String conversationId, long senderId, long seq) {
        List<String> ids = List.copyOf(fileIds);
        return writer.submit("link files to their message", connection -> {
            int linked = 0;
            for (String id : ids) {
                linked += Jdbc.update(connection, """
                        UPDATE files SET message_seq = ?
                        WHERE id = ? AND conversation_id = ? AND uploader_id = ? AND complete AND message_seq IS NULL
                        """, s -> {
                            s.setLong(1, seq);
                            s.setString(2, id);
                            s.setString(3, conversationId);
                            s.setLong(4, senderId);
                        });
            }
            return linked;
        });
    }

    @Override
    public CompletableFuture<Boolean> delete(String fileId) {
        return writer.submit("delete file", connection -> remove(connection, fileId));
    }

    @Override
    public CompletableFuture<Integer> deleteAbandoned(Instant before) {
        return writer.submit("delete abandoned uploads", connection -> {
            // Unfinished uploads idle since before, and finished ones that no sent message shares.
            List<String> abandoned = Jdbc.query(connection,
                    "SELECT id FROM files WHERE (NOT complete OR message_seq IS NULL) AND touched_at < ?",
                    s -> s.setLong(1, before.toEpochMilli()), row -> row.getString(1));
            for (String id : abandoned) {
                remove(connection, id);
            }
            return abandoned.size();
        });
    }

    private static boolean remove(Connection connection, String fileId) throws SQLException {
        Jdbc.update(connection, "DELETE FROM file_chunks WHERE file_id = ?", s -> s.setString(1, fileId));
        return Jdbc.update(connection, "DELETE FROM files WHERE id = ?", s -> s.setString(1, fileId)) > 0;
    }

    private static void requireAccess(Connection connection, String conversationId, long accountId) throws SQLException {
        ConversationId conversation = ConversationId.parse(conversationId)
                .orElseThrow(() -> new ConversationRefusedException(Reason.UNKNOWN_GROUP, "no conversation " + conversationId));
        if (conversation.isDirect()) {
            if (!conversation.involves(accountId)) {
                throw new ConversationRefusedException(Reason.NOT_A_MEMBER, "not a member of this conversation");
            }
            if (Jdbc.query(connection, DIRECT_PEER, s -> s.setLong(1, conversation.peerOf(accountId)), row -> 1).isEmpty()) {
                throw new ConversationRefusedException(Reason.UNKNOWN_USER, "no account with id " + conversation.peerOf(accountId));
            }
            return;
        }
        if (Jdbc.query(connection, "SELECT 1 FROM conversations WHERE id = ?", s -> s.setString(1, conversationId), row -> 1).isEmpty()) {
            throw new ConversationRefusedException(Reason.UNKNOWN_GROUP, "no such group");
        }
        if (Jdbc.query(connection, GROUP_MEMBER, s -> {
            s.setString(1, conversationId);
            s.setLong(2, accountId);
        }, row -> 1).isEmpty()) {
            throw new ConversationRefusedException(Reason.NOT_A_MEMBER, "not a member of this group");
        }
    }

    /** The uploader's own file (another user's upload is as good as unknown to them). */
    private static StoredFile own(Connection connection, String fileId, long uploaderId) throws SQLException {
        return load(connection, fileId).filter(f -> f.uploaderId() == uploaderId)
                .orElseThrow(() -> new ConversationRefusedException(Reason.UNKNOWN_FILE, "no upload " + fileId));
    }

    private static Optional<StoredFile> load(Connection connection, String fileId) throws SQLException {
        return Jdbc.query(connection, SELECT + " WHERE id = ?", s -> s.setString(1, fileId), JdbcFileRepository::map)
                .stream().findFirst();
    }

    private static StoredFile map(ResultSet row) throws SQLException {
        return new StoredFile(row.getString("id"), row.getString("conversation_id"), row.getLong("uploader_id"),
                row.getLong("size"), row.getInt("chunk_size"), row.getInt("chunk_count"), row.getInt("received"),
                row.getLong("stored_bytes"), row.getBoolean("complete"), row.getLong("message_seq"),
                Instant.ofEpochMilli(row.getLong("created_at")));
    }
}
