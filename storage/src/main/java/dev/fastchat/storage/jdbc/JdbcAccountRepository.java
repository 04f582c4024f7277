package dev.fastchat.storage.jdbc;

import dev.fastchat.storage.Account;
import dev.fastchat.storage.AccountRepository;
import dev.fastchat.storage.Credential;
import dev.fastchat.storage.DirectoryEntry;
import dev.fastchat.storage.IdentityKeys;
import dev.fastchat.storage.KdfCost;
import dev.fastchat.storage.NameTakenException;
import dev.fastchat.storage.NewAccount;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Accounts on JDBC; writes go through the group-commit writer. */
public final class JdbcAccountRepository implements AccountRepository {
    private static final String SELECT = """
            SELECT a.id, a.name, a.auth_salt, a.auth_hash, a.kdf_memory_kib, a.kdf_iterations, a.kdf_parallelism,
                   a.key_backup, a.created_at, k.key_id, k.x25519_public, k.ed25519_public
            FROM accounts a
            JOIN identity_keys k ON k.account_id = a.id
                AND k.key_id = (SELECT MAX(key_id) FROM identity_keys WHERE account_id = a.id)
            """;

    private final Jdbc jdbc;
    private final GroupCommitWriter writer;
    private final ConversationCache cache;

    JdbcAccountRepository(Jdbc jdbc, GroupCommitWriter writer, ConversationCache cache) {
        this.jdbc = jdbc;
        this.writer = writer;
        this.cache = cache;
    }

    @Override
    public CompletableFuture<Account> create(NewAccount account) {
        return writer.submit("create account", connection -> insert(connection, account));
    }

    private static Account insert(Connection connection, NewAccount account) throws SQLException {
        if (!Names.claim(connection, account.name(), "user")) {
            throw new NameTakenException(account.name());
        }
        long id;
        try (PreparedStatement statement = connection.prepareStatement("""
                INSERT INTO accounts (name, auth_salt, auth_hash, kdf_memory_kib, kdf_iterations, kdf_parallelism,
                                      key_backup, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO NOTHING
                RETURNING id
                """)) {
            statement.setString(1, account.name());
            statement.setBytes(2, account.credential().salt());
            statement.setBytes(3, account.credential().hash());
            statement.setInt(4, account.kdf().memoryKib());
            statement.setInt(5, account.kdf().iterations());
            statement.setInt(6, account.kdf().parallelism());
            statement.setBytes(7, account.keyBackup());
            statement.setLong(8, account.createdAt().toEpochMilli());
            try (ResultSet rows = statement.executeQuery()) {
                if (!rows.next()) {
                    throw new NameTakenException(account.name());
                }
                id = rows.getLong(1);
            }
        }
        IdentityKeys keys = account.identity();
        Jdbc.update(connection, """
                INSERT INTO identity_keys (account_id, key_id, x25519_public, ed25519_public, created_at)
                VALUES (?, ?, ?, ?, ?)
                """, s -> {
                    s.setLong(1, id);
                    s.setInt(2, keys.keyId());
                    s.setBytes(3, keys.x25519Public());
                    s.setBytes(4, keys.ed25519Public());
                    s.setLong(5, account.createdAt().toEpochMilli());
                });
        return new Account(id, account.name(), account.credential(), account.kdf(), keys, account.keyBackup(),
                account.createdAt());
    }

    @Override
    public CompletableFuture<IdentityKeys> replaceKeys(long accountId, byte[] x25519Public, byte[] ed25519Public,
                                                      byte[] keyBackup, Instant now) {
        return writer.submit("replace identity keys", connection -> {
            int keyId = Jdbc.query(connection, "SELECT MAX(key_id) FROM identity_keys WHERE account_id = ?",
                    s -> s.setLong(1, accountId), row -> row.getInt(1)).stream().findFirst().orElse(0) + 1;
            Jdbc.update(connection, """
                    INSERT INTO identity_keys (account_id, key_id, x25519_public, ed25519_public, created_at)
                    VALUES (?, ?, ?, ?, ?)
                    """, s -> {
                        s.setLong(1, accountId);
                        s.setInt(2, keyId);
                        s.setBytes(3, x25519Public);
                        s.setBytes(4, ed25519Public);
                        s.setLong(5, now.toEpochMilli());
                    });
            Jdbc.update(connection, "UPDATE accounts SET key_backup = ? WHERE id = ?", s -> {
                s.setBytes(1, keyBackup);
                s.setLong(2, accountId);
            });
            return new IdentityKeys(keyId, x25519Public, ed25519Public);
        });
    }

    @Override
    public CompletableFuture<Boolean> setBlocked(long accountId, long otherId, boolean blocked, Instant now) {
        return writer.submit(blocked ? "block account" : "unblock account", connection -> {
            if (isBlocked(connection, accountId, otherId) == blocked) {
                return false;
            }
            // A send in their direct conversation checks blocks from the writer's cache: it is read again, here and on
            // every node sharing the database.
            String direct = dev.fastchat.protocol.ConversationId.direct(accountId, otherId).value();
            Jdbc.update(connection, "UPDATE conversations SET members_version = members_version + 1 WHERE id = ?",
                    s -> s.setString(1, direct));
            cache.invalidate(direct);
            if (blocked) {
                Jdbc.update(connection, "INSERT INTO blocks (account_id, blocked_id, created_at) VALUES (?, ?, ?)", s -> {
                    s.setLong(1, accountId);
                    s.setLong(2, otherId);
                    s.setLong(3, now.toEpochMilli());
                });
            } else {
                Jdbc.update(connection, "DELETE FROM blocks WHERE account_id = ? AND blocked_id = ?", s -> {
                    s.setLong(1, accountId);
                    s.setLong(2, otherId);
                });
            }
            return true;
        });
    }

    /** Whether {@code accountId} has blocked {@code otherId} (inside a write transaction). */
    static boolean isBlocked(java.sql.Connection connection, long accountId, long otherId) throws java.sql.SQLException {
        return !Jdbc.query(connection, "SELECT 1 FROM blocks WHERE account_id = ? AND blocked_id = ?", s -> {
            s.setLong(1, accountId);
            s.setLong(2, otherId);
        }, row -> 1).isEmpty();
    }

    @Override
    public List<String> blockedBy(long accountId) {
        return jdbc.queryList("list blocked accounts", """
                SELECT a.name FROM blocks b JOIN accounts a ON a.id = b.blocked_id WHERE b.account_id = ? ORDER BY a.name
                """, s -> s.setLong(1, accountId), row -> row.getString(1));
    }

    @Override
    public Optional<IdentityKeys> identityKey(long accountId, int keyId) {
        return jdbc.queryOne("read identity key", "SELECT key_id, x25519_public, ed25519_public FROM identity_keys WHERE account_id = ? AND key_id = ?",
                s -> {
                    s.setLong(1, accountId);
                    s.setInt(2, keyId);
                }, row -> new IdentityKeys(row.getInt(1), row.getBytes(2), row.getBytes(3)));
    }

    @Override
    public dev.fastchat.storage.TrustState trustState(long accountId) {
        return jdbc.queryOne("read trust state", "SELECT version, sealed FROM trust_states WHERE account_id = ?",
                s -> s.setLong(1, accountId), row -> new dev.fastchat.storage.TrustState(row.getLong(1), row.getBytes(2)))
                .orElse(dev.fastchat.storage.TrustState.NONE);
    }

    @Override
    public CompletableFuture<Boolean> putTrustState(long accountId, dev.fastchat.storage.TrustState state, Instant now) {
        return writer.submit("store trust state", connection -> {
            if (state.version() == 1) {
                if (!Jdbc.query(connection, "SELECT 1 FROM trust_states WHERE account_id = ?", s -> s.setLong(1, accountId), row -> 1)
                        .isEmpty()) {
                    return false;
                }
                Jdbc.update(connection, "INSERT INTO trust_states (account_id, version, sealed, updated_at) VALUES (?, 1, ?, ?)", s -> {
                    s.setLong(1, accountId);
                    s.setBytes(2, state.sealed());
                    s.setLong(3, now.toEpochMilli());
                });
                return true;
            }
            return Jdbc.update(connection, "UPDATE trust_states SET version = ?, sealed = ?, updated_at = ? WHERE account_id = ? AND version = ?", s -> {
                s.setLong(1, state.version());
                s.setBytes(2, state.sealed());
                s.setLong(3, now.toEpochMilli());
                s.setLong(4, accountId);
                s.setLong(5, state.version() - 1);
            }) == 1;
        });
    }

    @Override
    public Optional<Account> findByName(String name) {
        return jdbc.queryOne("find account by name", SELECT + " WHERE a.name = ?", s -> s.setString(1, name),
                JdbcAccountRepository::map);
    }

    @Override
    public Optional<Account> findById(long id) {
        return jdbc.queryOne("find account by id", SELECT + " WHERE a.id = ?", s -> s.setLong(1, id),
                JdbcAccountRepository::map);
    }

    @Override
    public List<Account> findByIds(Collection<Long> ids) {
        List<Account> found = new ArrayList<>();
        List<Long> all = List.copyOf(ids);
        for (int from = 0; from < all.size(); from += 200) {
            List<Long> chunk = all.subList(from, Math.min(all.size(), from + 200));
            String marks = String.join(",", java.util.Collections.nCopies(chunk.size(), "?"));
            found.addAll(jdbc.queryList("find accounts by id", SELECT + " WHERE a.id IN (" + marks + ")", s -> {
                for (int i = 0; i < chunk.size(); i++) {
                    s.setLong(i + 1, chunk.get(i));
                }
            }, JdbcAccountRepository::map));
        }
        return found;
    }

    @Override
    public List<DirectoryEntry> directory(String after, int limit) {
        return jdbc.queryList("list names", """
                SELECT n.name, n.kind, a.id FROM names n LEFT JOIN accounts a ON a.name = n.name
                WHERE n.name > ? ORDER BY n.name LIMIT ?
                """, s -> {
            s.setString(1, after);
            s.setInt(2, limit);
        }, row -> new DirectoryEntry(row.getString("name"), "group".equals(row.getString("kind")), row.getLong("id")));
    }

    @Override
    public long count() {
        return jdbc.queryOne("count accounts", "SELECT COUNT(*) FROM accounts", s -> { }, r -> r.getLong(1)).orElse(0L);
    }

    private static Account map(ResultSet row) throws SQLException {
        return new Account(
                row.getLong("id"),
                row.getString("name"),
                new Credential(row.getBytes("auth_salt"), row.getBytes("auth_hash")),
                new KdfCost(row.getInt("kdf_memory_kib"), row.getInt("kdf_iterations"), row.getInt("kdf_parallelism")),
                new IdentityKeys(row.getInt("key_id"), row.getBytes("x25519_public"), row.getBytes("ed25519_public")),
                row.getBytes("key_backup"),
                Instant.ofEpochMilli(row.getLong("created_at")));
    }
}
