package dev.fastchat.storage.jdbc;

import dev.fastchat.storage.StorageException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** Read helpers: bound parameters, try-with-resources, and {@link SQLException} wrapped with what was being done. */
final class Jdbc {
    @FunctionalInterface
    interface Binder {
        void bind(PreparedStatement statement) throws SQLException;
    }

    @FunctionalInterface
    interface RowMapper<T> {
        T map(ResultSet row) throws SQLException;
    }

    private final DataSource dataSource;

    Jdbc(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    <T> Optional<T> queryOne(String what, String sql, Binder binder, RowMapper<T> mapper) {
        List<T> rows = queryList(what, sql, binder, mapper);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.getFirst());
    }

    /**
     * Runs a read. A read that fails because its pooled connection broke (the database restarted or a
     * network cut healed) is tried once more on a fresh connection: reads are safe to repeat.
     */
    <T> List<T> queryList(String what, String sql, Binder binder, RowMapper<T> mapper) {
        return queryList(what, sql, binder, mapper, row -> 0, Long.MAX_VALUE);
    }

    /**
     * Like {@link #queryList(String, String, Binder, RowMapper)}, but stops reading rows once their
     * {@code weight}s add up to {@code budget} (the row that reaches it is the last one read).
     */
    <T> List<T> queryList(String what, String sql, Binder binder, RowMapper<T> mapper, java.util.function.ToLongFunction<T> weight,
                          long budget) {
        try {
            return read(sql, binder, mapper, weight, budget);
        } catch (SQLException first) {
            if (first.getSQLState() == null || !first.getSQLState().startsWith("08")) {
                throw new StorageException(what, first);
            }
            try {
                return read(sql, binder, mapper, weight, budget);
            } catch (SQLException second) {
                throw new StorageException(what, second);
            }
        }
    }

    private <T> List<T> read(String sql, Binder binder, RowMapper<T> mapper, java.util.function.ToLongFunction<T> weight,
                             long budget) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            binder.bind(statement);
            try (ResultSet rows = statement.executeQuery()) {
                List<T> result = new ArrayList<>();
                long spent = 0;
                while (spent < budget && rows.next()) {
                    T row = mapper.map(rows);
                    result.add(row);
                    spent += weight.applyAsLong(row);
                }
                return result;
            }
        }
    }

    /** Runs a query on a writer-owned connection (inside its transaction). */
    static <T> List<T> query(Connection connection, String sql, Binder binder, RowMapper<T> mapper) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            binder.bind(statement);
            try (ResultSet rows = statement.executeQuery()) {
                List<T> result = new ArrayList<>();
                while (rows.next()) {
                    result.add(mapper.map(rows));
                }
                return result;
            }
        }
    }

    /** Runs an update on a writer-owned connection; returns the update count. */
    static int update(Connection connection, String sql, Binder binder) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            binder.bind(statement);
            return statement.executeUpdate();
        }
    }
}
