package dev.fastchat.storage.jdbc;

import dev.fastchat.storage.SessionRepository;
import dev.fastchat.storage.StoredSession;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Log-in sessions on JDBC; writes go through the group-commit writer. */
public final class JdbcSessionRepository implements SessionRepository {
    private final Jdbc jdbc;
    private final GroupCommitWriter writer;

    JdbcSessionRepository(Jdbc jdbc, GroupCommitWriter writer) {
        this.jdbc = jdbc;
        this.writer = writer;
    }

    @Override
    public CompletableFuture<Void> create(StoredSession session) {
        return writer.submit("create session", connection -> {
            Jdbc.update(connection, """
                    INSERT INTO sessions (token_hash, account_id, device, created_at, expires_at)
                    VALUES (?, ?, ?, ?, ?)
                    """, s -> {
                        s.setBytes(1, session.tokenHash());
                        s.setLong(2, session.accountId());
                        s.setString(3, session.device());
                        s.setLong(4, session.createdAt().toEpochMilli());
                        s.setLong(5, session.expiresAt().toEpochMilli());
                    });
            return null;
        });
    }

    @Override
    public Optional<StoredSession> findValid(byte[] tokenHash, Instant now) {
        return jdbc.queryOne("find session", """
                SELECT token_hash, account_id, device, created_at, expires_at FROM sessions
                WHERE token_hash = ? AND expires_at > ?
                """, s -> {
                    s.setBytes(1, tokenHash);
                    s.setLong(2, now.toEpochMilli());
                }, row -> new StoredSession(row.getBytes(1), row.getLong(2), row.getString(3),
                        Instant.ofEpochMilli(row.getLong(4)), Instant.ofEpochMilli(row.getLong(5))));
    }

    @Override
    public CompletableFuture<Boolean> delete(byte[] tokenHash) {
        return writer.submit("delete session", connection ->
                Jdbc.update(connection, "DELETE FROM sessions WHERE token_hash = ?", s -> s.setBytes(1, tokenHash)) > 0);
    }

    @Override
    public CompletableFuture<Boolean> delete(byte[] tokenHash, long accountId) {
        return writer.submit("delete session of account", connection ->
                Jdbc.update(connection, "DELETE FROM sessions WHERE token_hash = ? AND account_id = ?", s -> {
                    s.setBytes(1, tokenHash);
                    s.setLong(2, accountId);
                }) > 0);
    }

    @Override
    public CompletableFuture<Integer> deleteAll(long accountId) {
        return writer.submit("delete sessions of account", connection ->
                Jdbc.update(connection, "DELETE FROM sessions WHERE account_id = ?", s -> s.setLong(1, accountId)));
    }

    @Override
    public CompletableFuture<Integer> deleteExpired(Instant now) {
        return writer.submit("delete expired sessions", connection ->
                Jdbc.update(connection, "DELETE FROM sessions WHERE expires_at <= ?", s -> s.setLong(1, now.toEpochMilli())));
    }
}
