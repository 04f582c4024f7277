package dev.fastchat.client;

import dev.fastchat.testkit.PostgresExtension;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresServerNeverSeesPlaintextIT extends ServerNeverSeesPlaintextContract {
    @RegisterExtension
    static final PostgresExtension postgres = new PostgresExtension();

    @Override
    protected Map<String, String> serverSettings(Path dir) {
        return Map.of("db", postgres.url());
    }

    @Override
    protected String inspectionUrl(Path dir) {
        return postgres.url();
    }

    @Override
    protected List<String> tables(Connection connection) throws Exception {
        List<String> tables = new ArrayList<>();
        try (ResultSet rows = connection.createStatement().executeQuery(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = '" + postgres.schema() + "'")) {
            while (rows.next()) {
                tables.add(rows.getString(1));
            }
        }
        return tables;
    }
}
