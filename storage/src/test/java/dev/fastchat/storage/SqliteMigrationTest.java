package dev.fastchat.storage;

import dev.fastchat.storage.jdbc.DatabaseSettings;
import dev.fastchat.storage.jdbc.SqlDialect;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

class SqliteMigrationTest extends MigrationContract {
    @TempDir
    Path dir;

    @Override
    protected DatabaseSettings freshDatabase() {
        return DatabaseSettings.of("jdbc:sqlite:" + dir.resolve("earlier.db"));
    }

    @Override
    protected DataSource dataSource(DatabaseSettings settings) {
        SQLiteDataSource source = new SQLiteDataSource(new org.sqlite.SQLiteConfig(SqlDialect.SQLITE.connectionProperties()));
        source.setUrl(settings.url());
        return source;
    }

    @Override
    protected List<String> idempotencyIndexColumns(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet indexes = statement.executeQuery("SELECT name FROM pragma_index_list('messages') WHERE \"unique\" = 1")) {
            while (indexes.next()) {
                List<String> columns = new ArrayList<>();
                try (Statement inner = connection.createStatement();
                     ResultSet info = inner.executeQuery("SELECT name FROM pragma_index_info('" + indexes.getString(1) + "') ORDER BY seqno")) {
                    while (info.next()) {
                        columns.add(info.getString(1));
                    }
                }
                if (columns.contains("client_msg_id")) {
                    return columns;
                }
            }
        }
        return List.of();
    }
}
