package dev.fastchat.storage;

import dev.fastchat.storage.jdbc.Database;
import dev.fastchat.storage.jdbc.DatabaseSettings;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

class SqliteConversationTest extends ConversationContract {
    @TempDir
    static Path dir;
    static Database database;

    @BeforeAll
    static void open() {
        database = Database.open(DatabaseSettings.of("jdbc:sqlite:" + dir.resolve("fastchat.db")));
    }

    @AfterAll
    static void close() {
        database.close();
    }

    @Override
    protected Database db() {
        return database;
    }
}
