package dev.fastchat.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.protocol.ConversationId;
import dev.fastchat.storage.jdbc.Database;
import dev.fastchat.storage.jdbc.DatabaseSettings;
import dev.fastchat.storage.jdbc.SqlDialect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteStorageTest extends StorageContract {
    @TempDir
    static Path dir;
    static Database database;

    @BeforeAll
    static void open() {
        database = Database.open(DatabaseSettings.of("jdbc:sqlite:" + dir.resolve("nested/dir/fastchat.db")));
    }

    @AfterAll
    static void close() {
        database.close();
    }

    @Override
    protected Database db() {
        return database;
    }

    @Test
    void createsTheFileAndItsDirectoriesInWalModeWithFullSync() throws Exception {
        assertThat(database.dialect()).isEqualTo(SqlDialect.SQLITE);
        Path file = dir.resolve("nested/dir/fastchat.db");
        assertThat(Files.exists(file)).isTrue();
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file, SqlDialect.SQLITE.connectionProperties());
             Statement statement = connection.createStatement()) {
            try (ResultSet mode = statement.executeQuery("PRAGMA journal_mode")) {
                assertThat(mode.getString(1)).isEqualToIgnoringCase("wal");
            }
            try (ResultSet sync = statement.executeQuery("PRAGMA synchronous")) {
                assertThat(sync.getInt(1)).isEqualTo(2); // FULL
            }
        }
    }

    @Test
    void reopeningKeepsDataAndDoesNotMigrateTwice() throws Exception {
        Path file = dir.resolve("reopen.db");
        String name = uniqueName("keep");
        try (Database first = Database.open(DatabaseSettings.of("jdbc:sqlite:" + file))) {
            await(first.accounts().create(newAccount(name)));
        }
        try (Database second = Database.open(DatabaseSettings.of("jdbc:sqlite:" + file))) {
            assertThat(second.accounts().findByName(name)).isPresent();
        }
    }

    @Test
    void reopenedTheWriterGoesOnFromEachConversationsNewestMessage() throws Exception {
        Path file = dir.resolve("seqs.db");
        Account alice;
        Account bob;
        Account carol;
        try (Database first = Database.open(DatabaseSettings.of("jdbc:sqlite:" + file))) {
            alice = await(first.accounts().create(newAccount(uniqueName("alice"))));
            bob = await(first.accounts().create(newAccount(uniqueName("bob"))));
            carol = await(first.accounts().create(newAccount(uniqueName("carol"))));
            for (int i = 0; i < 3; i++) {
                append(first, alice, bob);
            }
            append(first, carol, bob);
        }
        try (Database second = Database.open(DatabaseSettings.of("jdbc:sqlite:" + file))) {
            assertThat(second.messages().summaries(bob.id())).extracting(ConversationSummary::lastSeq, ConversationSummary::unread)
                    .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(3L, 3L), org.assertj.core.groups.Tuple.tuple(1L, 1L));
            assertThat(append(second, bob, alice).message().seq()).isEqualTo(4);
            assertThat(append(second, carol, bob).message().seq()).isEqualTo(2);
            assertThat(await(second.messages().markRead(ConversationId.direct(alice.id(), bob.id()).value(), alice.id(), 99)))
                    .isEqualTo(4); // capped at the newest
        }
    }

    private static Appended append(Database database, Account from, Account to) throws Exception {
        return await(database.messages().append(new NewMessage(ConversationId.direct(from.id(), to.id()), from.id(),
                java.util.UUID.randomUUID().toString(), bytes(40), java.util.Set.of(from.id(), to.id()), java.time.Instant.now())));
    }

    @Test
    void theDataDirectoryAndTheDatabaseFilesArePrivateToTheServersUser() throws Exception {
        Path directory = dir.resolve("private/data");
        Path file = directory.resolve("fastchat.db");
        try (Database opened = Database.open(DatabaseSettings.of("jdbc:sqlite:" + file))) {
            await(opened.accounts().create(newAccount(uniqueName("perm")))); // a write: the WAL and SHM exist
            assertThat(permissions(directory)).isEqualTo("rwx------");
            for (String name : new String[] {"fastchat.db", "fastchat.db-wal", "fastchat.db-shm"}) {
                assertThat(directory.resolve(name)).exists();
                assertThat(permissions(directory.resolve(name))).as(name).isEqualTo("rw-------");
            }
        }
    }

    @Test
    void aDataDirectoryOpenToOthersIsReportedAtStartUp() throws Exception {
        Path directory = Files.createDirectories(dir.resolve("shared/data"));
        Files.setPosixFilePermissions(directory, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                "dev.fastchat.storage.jdbc.PrivateFiles");
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged = new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try (Database opened = Database.open(DatabaseSettings.of("jdbc:sqlite:" + directory.resolve("fastchat.db")))) {
            assertThat(logged.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                    .anySatisfy(message -> assertThat(message).contains(directory.toString()).contains("rwxr-xr-x")
                            .contains("chmod 700"));
        } finally {
            logger.detachAppender(logged);
        }
    }

    private static String permissions(Path path) throws java.io.IOException {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
