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
    public CompletableFuture<Void> touch(byte[] tokenHash, Instant now, String address) {
        String shortened = address.length() > 64 ? address.substring(0, 64) : address;
        return writer.submit("touch session", connection -> {
            Jdbc.update(connection, "UPDATE sessions SET last_seen_at = ?, last_address = ? WHERE token_hash = ?", s -> {
                s.setLong(1, now.toEpochMilli());
                s.setString(2, shortened);
                s.setBytes(3, tokenHash);
            });
            return null;
        });
    }

    @Override
    public java.util.List<dev.fastchat.storage.SessionSummary> list(long accountId, Instant now) {
        return jdbc.queryList("list sessions", """
                SELECT token_hash, device, created_at, last_seen_at, last_address, expires_at FROM sessions
                WHERE account_id = ? AND expires_at > ? ORDER BY created_at, token_hash
                """, s -> {
                    s.setLong(1, accountId);
                    s.setLong(2, now.toEpochMilli());
                }, row -> {
                    long created = row.getLong(3);
                    long seen = row.getLong(4);
                    boolean neverSeen = row.wasNull();
                    String address = row.getString(5);
                    return new dev.fastchat.storage.SessionSummary(row.getBytes(1), row.getString(2), Instant.ofEpochMilli(created),
                            Instant.ofEpochMilli(neverSeen ? created : seen), address == null ? "" : address,
                            Instant.ofEpochMilli(row.getLong(6)));
                });
    }

    @Override
    public CompletableFuture<Integer> deleteExpired(Instant now) {
        return writer.submit("delete expired sessions", connection ->
                Jdbc.update(connection, "DELETE FROM sessions WHERE expires_at <= ?", s -> s.setLong(1, now.toEpochMilli())));
    }
}
