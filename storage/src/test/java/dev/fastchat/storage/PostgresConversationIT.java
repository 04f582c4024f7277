package dev.fastchat.storage;

import dev.fastchat.storage.jdbc.Database;
import dev.fastchat.storage.jdbc.DatabaseSettings;
import dev.fastchat.testkit.PostgresExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresConversationIT extends ConversationContract {
    @RegisterExtension
    static final PostgresExtension postgres = new PostgresExtension();
    static Database database;

    @BeforeAll
    static void open() {
        database = Database.open(DatabaseSettings.of(postgres.baseUrl()).withSchema(postgres.schema()));
    }

    @AfterAll
    static void close() {
        if (database != null) {
            database.close();
        }
    }

    @Override
    protected Database db() {
        return database;
    }
}
