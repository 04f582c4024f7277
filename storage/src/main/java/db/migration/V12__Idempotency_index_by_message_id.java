package db.migration;

import dev.fastchat.storage.jdbc.SqlDialect;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * The messages' idempotency index, {@code UNIQUE (sender_id, client_msg_id)}, becomes {@code UNIQUE (client_msg_id,
 * sender_id)}: the same rule, with the id first. Clients make their message ids time-ordered (UUIDv7), so a batch of new
 * messages adds its entries at the index's end, on a page or two, instead of one page per sender scattered through the
 * index: each such page is written to the log at every commit and again at every checkpoint (docs/performance.md, "An
 * index that grows at its end").
 *
 * <p>SQLite cannot drop a constraint declared in {@code CREATE TABLE}, so there the table is made again with its rows (the
 * way SQLite's documentation gives for changes {@code ALTER TABLE} cannot make); nothing refers to it. PostgreSQL swaps
 * the constraint.
 */
public final class V12__Idempotency_index_by_message_id extends BaseJavaMigration {
    @Override
    public void migrate(Context context) throws SQLException {
        Connection connection = context.getConnection();
        try (Statement statement = connection.createStatement()) {
            if (SqlDialect.of(connection.getMetaData().getURL()) == SqlDialect.POSTGRESQL) {
                for (String constraint : oldConstraints(statement)) {
                    statement.execute("ALTER TABLE messages DROP CONSTRAINT \"" + constraint.replace("\"", "\"\"") + "\"");
                }
                statement.execute("ALTER TABLE messages ADD CONSTRAINT messages_client_msg_id_sender_id_key UNIQUE (client_msg_id, sender_id)");
            } else {
                statement.execute("""
                        CREATE TABLE messages_by_id (
                            conversation_id VARCHAR(48) NOT NULL REFERENCES conversations (id),
                            seq             BIGINT NOT NULL,
                            sender_id       BIGINT NOT NULL REFERENCES accounts (id),
                            client_msg_id   VARCHAR(64) NOT NULL,
                            sealed          BLOB NOT NULL,
                            created_at      BIGINT NOT NULL,
                            PRIMARY KEY (conversation_id, seq),
                            UNIQUE (client_msg_id, sender_id)
                        )""");
                statement.execute("""
                        INSERT INTO messages_by_id (conversation_id, seq, sender_id, client_msg_id, sealed, created_at)
                        SELECT conversation_id, seq, sender_id, client_msg_id, sealed, created_at FROM messages
                        ORDER BY conversation_id, seq""");
                statement.execute("DROP TABLE messages");
                statement.execute("ALTER TABLE messages_by_id RENAME TO messages");
            }
        }
    }

    /** The names of the unique constraints on (sender_id, client_msg_id), in this order. */
    private static List<String> oldConstraints(Statement statement) throws SQLException {
        List<String> names = new ArrayList<>();
        try (ResultSet rows = statement.executeQuery("""
                SELECT c.conname FROM pg_constraint c
                WHERE c.conrelid = 'messages'::regclass AND c.contype = 'u'
                  AND (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY AS k(n, i)
                       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) = ARRAY['sender_id', 'client_msg_id']""")) {
            while (rows.next()) {
                names.add(rows.getString(1));
            }
        }
        if (names.isEmpty()) {
            throw new SQLException("no unique constraint on messages (sender_id, client_msg_id) to replace");
        }
        return names;
    }
}
