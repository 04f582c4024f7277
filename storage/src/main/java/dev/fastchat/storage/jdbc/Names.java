package dev.fastchat.storage.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** The shared namespace of users and groups. */
final class Names {
    private Names() {}

    /** Claims {@code name} for a user or group inside the caller's transaction; false if it is taken. */
    static boolean claim(Connection connection, String name, String kind) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO names (name, kind) VALUES (?, ?) ON CONFLICT (name) DO NOTHING RETURNING name")) {
            statement.setString(1, name);
            statement.setString(2, kind);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next();
            }
        }
    }
}
