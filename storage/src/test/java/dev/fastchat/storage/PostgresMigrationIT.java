package dev.fastchat.storage;

import dev.fastchat.storage.jdbc.DatabaseSettings;
import dev.fastchat.testkit.PostgresExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

class PostgresMigrationIT extends MigrationContract {
    @RegisterExtension
    static final PostgresExtension postgres = new PostgresExtension();

    @Override
    protected DatabaseSettings freshDatabase() {
        return DatabaseSettings.of(postgres.baseUrl()).withSchema(postgres.schema());
    }

    @Override
    protected DataSource dataSource(DatabaseSettings settings) {
        PGSimpleDataSource source = new PGSimpleDataSource();
        source.setURL(PostgresExtension.withSchema(settings.url(), settings.schema()));
        return source;
    }

    @Override
    protected List<String> idempotencyIndexColumns(Connection connection) throws SQLException {
        List<String> columns = new ArrayList<>();
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery("""
                SELECT a.attname FROM pg_constraint c, unnest(c.conkey) WITH ORDINALITY AS k(n, i), pg_attribute a
                WHERE c.conrelid = 'messages'::regclass AND c.contype = 'u' AND a.attrelid = c.conrelid AND a.attnum = k.n
                ORDER BY k.i""")) {
            while (rows.next()) {
                columns.add(rows.getString(1));
            }
        }
        return columns;
    }
}
