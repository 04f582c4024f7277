package dev.fastchat.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.fastchat.protocol.ConversationId;
import dev.fastchat.storage.jdbc.Database;
import dev.fastchat.storage.jdbc.DatabaseSettings;
import dev.fastchat.storage.jdbc.SqlDialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * A database made by an earlier release, with messages in it, opened by this one: the migrations after it keep every
 * message and every rule. Each dialect gives a fresh, empty database.
 */
abstract class MigrationContract {
    /** Settings for a fresh, empty database of this dialect. */
    protected abstract DatabaseSettings freshDatabase();

    /** A data source for the same database, outside the node's pool: for the earlier release's schema and rows. */
    protected abstract DataSource dataSource(DatabaseSettings settings);

    /** The columns of the unique index on the messages' sender and client message id, in the index's order. */
    protected abstract List<String> idempotencyIndexColumns(Connection connection) throws SQLException;

    @Test
    void theIdempotencyIndexPutsTheMessageIdFirstAndKeepsItsMessagesAndItsRule() throws Exception {
        DatabaseSettings settings = freshDatabase();
        DataSource before = dataSource(settings);
        SqlDialect dialect = SqlDialect.of(settings.url());
        Flyway.configure().dataSource(before).locations("classpath:db/migration").placeholders(dialect.migrationPlaceholders())
                .schemas(settings.schema() == null ? new String[0] : new String[] {settings.schema()}).target("11").load().migrate();
        String conversation = ConversationId.direct(1, 2).value();
        try (Connection connection = before.getConnection()) {
            assertThat(idempotencyIndexColumns(connection)).containsExactly("sender_id", "client_msg_id");
            for (long id = 1; id <= 2; id++) {
                execute(connection, "INSERT INTO accounts (id, name, auth_hash, auth_salt, kdf_memory_kib, kdf_iterations,"
                        + " kdf_parallelism, key_backup, created_at) VALUES (?, ?, ?, ?, 8, 1, 1, ?, 0)", id, "user" + id, new byte[32],
                        new byte[16], new byte[8]);
            }
            execute(connection, "INSERT INTO conversations (id, kind, last_seq, created_at) VALUES (?, 'direct', 3, 0)", conversation);
            for (long id = 1; id <= 2; id++) {
                execute(connection, "INSERT INTO members (conversation_id, account_id, role, joined_at, joined_seq, read_seq)"
                        + " VALUES (?, ?, 'member', 0, 0, 0)", conversation, id);
            }
            for (int seq = 1; seq <= 3; seq++) {
                execute(connection, "INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, sealed, created_at)"
                        + " VALUES (?, ?, 1, ?, ?, ?)", conversation, (long) seq, "before-" + seq, new byte[] {(byte) seq}, (long) seq);
            }
        }

        try (Database database = Database.open(settings)) {
            assertThat(database.messages().history(conversation, 2, Long.MAX_VALUE, 10))
                    .extracting(StoredMessage::seq, StoredMessage::clientMsgId, message -> message.sealed()[0])
                    .containsExactly(tuple(3L, "before-3", (byte) 3),
                            tuple(2L, "before-2", (byte) 2),
                            tuple(1L, "before-1", (byte) 1));
            Appended retry = append(database, 1, "before-2", (byte) 2);
            assertThat(retry.duplicate()).isTrue();
            assertThat(retry.message().seq()).isEqualTo(2);
            Appended next = append(database, 1, "after-1", (byte) 4);
            assertThat(next.duplicate()).isFalse();
            assertThat(next.message().seq()).isEqualTo(4);
            Appended sameIdOtherSender = append(database, 2, "after-1", (byte) 5);
            assertThat(sameIdOtherSender.duplicate()).isFalse(); // the rule is per sender, as before
            assertThat(sameIdOtherSender.message().seq()).isEqualTo(5);
        }
        try (Connection connection = dataSource(settings).getConnection()) {
            assertThat(idempotencyIndexColumns(connection)).containsExactly("client_msg_id", "sender_id");
        }
    }

    /** Appends a one-byte message from account {@code senderId} to the direct conversation of accounts 1 and 2. */
    private static Appended append(Database database, long senderId, String clientMsgId, byte content) throws Exception {
        return StorageContract.await(database.messages().append(new NewMessage(ConversationId.direct(1, 2), senderId, clientMsgId,
                new byte[] {content}, Set.of(1L, 2L), Instant.now())));
    }

    private static void execute(Connection connection, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            statement.executeUpdate();
        }
    }
}
