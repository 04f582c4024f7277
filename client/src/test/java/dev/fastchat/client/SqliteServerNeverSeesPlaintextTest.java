package dev.fastchat.client;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

class SqliteServerNeverSeesPlaintextTest extends ServerNeverSeesPlaintextContract {
    @Override
    protected Map<String, String> serverSettings(Path dir) {
        return Map.of();
    }

    @Override
    protected String inspectionUrl(Path dir) {
        return "jdbc:sqlite:" + dir.resolve("server").resolve("fastchat.db");
    }

    @Override
    protected List<String> tables(Connection connection) throws Exception {
        List<String> tables = new ArrayList<>();
        try (ResultSet rows = connection.createStatement().executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'")) {
            while (rows.next()) {
                tables.add(rows.getString(1));
            }
        }
        return tables;
    }
}
