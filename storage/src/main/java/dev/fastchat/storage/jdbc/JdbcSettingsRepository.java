package dev.fastchat.storage.jdbc;

import dev.fastchat.storage.SettingsRepository;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.concurrent.CompletableFuture;

/** Settings on JDBC; the insert and the read run in one writer transaction. */
final class JdbcSettingsRepository implements SettingsRepository {
    private final GroupCommitWriter writer;

    JdbcSettingsRepository(GroupCommitWriter writer) {
        this.writer = writer;
    }

    @Override
    public CompletableFuture<String> putIfAbsent(String name, String value) {
        return writer.submit("store setting " + name, connection -> {
            Jdbc.update(connection, "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", s -> {
                s.setString(1, name);
                s.setString(2, value);
            });
            try (PreparedStatement statement = connection.prepareStatement("SELECT value FROM settings WHERE name = ?")) {
                statement.setString(1, name);
                try (ResultSet row = statement.executeQuery()) {
                    row.next();
                    return row.getString(1);
                }
            }
        });
    }
}
