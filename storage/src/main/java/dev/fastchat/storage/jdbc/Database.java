package dev.fastchat.storage.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.fastchat.storage.AccountRepository;
import dev.fastchat.storage.FileRepository;
import dev.fastchat.storage.GroupRepository;
import dev.fastchat.storage.MessageRepository;
import dev.fastchat.storage.SessionRepository;
import dev.fastchat.storage.SettingsRepository;
import dev.fastchat.storage.StorageException;
import java.sql.Connection;
import java.sql.SQLException;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One database: its connection pool, its migrations, its group-commit writer and its repositories.
 * Opening it migrates the schema to the newest version.
 */
public final class Database implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Database.class);

    private final SqlDialect dialect;
    private final HikariDataSource dataSource;
    private final PatientConnector connector;
    private final GroupCommitWriter writer;
    private final AccountRepository accounts;
    private final SessionRepository sessions;
    private final SettingsRepository settings;
    private final MessageRepository messages;
    private final GroupRepository groups;
    private final FileRepository files;
    private final ConversationCache conversations;

    private Database(SqlDialect dialect, HikariDataSource dataSource, PatientConnector connector, DatabaseSettings settings) {
        this.dialect = dialect;
        this.dataSource = dataSource;
        this.connector = connector;
        this.writer = new GroupCommitWriter(dataSource, dataSource::evictConnection, settings.writerBatchLimit(),
                settings.writerQueueLimit(), settings.commitLinger(), "fastchat-db-writer");
        Jdbc jdbc = new Jdbc(dataSource);
        this.conversations = new ConversationCache(dialect.supportsSharedAccess());
        writer.listen(conversations);
        this.accounts = new JdbcAccountRepository(jdbc, writer, conversations);
        this.sessions = new JdbcSessionRepository(jdbc, writer);
        this.settings = new JdbcSettingsRepository(writer);
        this.messages = new JdbcMessageRepository(jdbc, writer, conversations);
        this.groups = new JdbcGroupRepository(jdbc, writer, conversations);
        this.files = new JdbcFileRepository(jdbc, writer);
    }

    /**
     * Connects, migrates and starts the writer.
     *
     * @throws StorageException if the database cannot be reached or migrated; the message says which and why
     */
    public static Database open(DatabaseSettings settings) {
        SqlDialect dialect = SqlDialect.of(settings.url());
        if (dialect == SqlDialect.SQLITE) {
            PrivateFiles.sqliteFile(settings.url()).ifPresent(PrivateFiles::prepare);
        }
        PatientConnector connector = new PatientConnector(settings.url(), dialect.connectionProperties());
        HikariConfig config = new HikariConfig();
        config.setDataSource(connector);
        config.setMaximumPoolSize(settings.poolSize() + 1);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(settings.connectTimeout().toMillis());
        config.setValidationTimeout(Math.min(settings.connectTimeout().toMillis(), 2_000));
        config.setPoolName("fastchat-db");
        if (settings.schema() != null && dialect == SqlDialect.POSTGRESQL) {
            config.setSchema(settings.schema());
        }
        HikariDataSource dataSource;
        try {
            dataSource = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new StorageException("cannot connect to the database at " + redact(settings.url()), rootCause(e));
        }
        try {
            migrate(dataSource, dialect, settings.schema());
        } catch (FlywayException e) {
            dataSource.close();
            throw new StorageException("cannot migrate the database at " + redact(settings.url()), e);
        }
        connector.bePatient();
        log.info("database ready: {} ({})", redact(settings.url()), dialect);
        return new Database(dialect, dataSource, connector, settings);
    }

    private static void migrate(HikariDataSource dataSource, SqlDialect dialect, String schema) {
        var configuration = Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .placeholders(dialect.migrationPlaceholders())
                .loggers("slf4j");
        if (schema != null && dialect == SqlDialect.POSTGRESQL) {
            configuration.schemas(schema);
        }
        configuration.load().migrate();
    }

    private static Throwable rootCause(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** The URL without credentials, for logs and messages. */
    public static String redact(String url) {
        return url.replaceAll("(?i)(password|user)=[^&]*", "$1=***").replaceAll("//[^/@]+@", "//***@");
    }

    /** Which SQL dialect this database speaks. */
    public SqlDialect dialect() {
        return dialect;
    }

    public AccountRepository accounts() {
        return accounts;
    }

    public SessionRepository sessions() {
        return sessions;
    }

    public SettingsRepository settings() {
        return settings;
    }

    public MessageRepository messages() {
        return messages;
    }

    public FileRepository files() {
        return files;
    }

    public GroupRepository groups() {
        return groups;
    }

    /** The writer all repositories of this database share. */
    public GroupCommitWriter writer() {
        return writer;
    }

    /**
     * Makes the writer forget what it keeps in memory of conversations (seqs, members, blocks, names), so that it reads
     * them again: for rows changed behind the server's back (an operator's edit, a restored backup). Blocks until done.
     */
    public void forgetCachedState() {
        writer.submit("forget cached state", connection -> {
            conversations.failed();
            return null;
        }).join();
    }

    /** Whether a connection can be had and answers within a second. Blocks. */
    public boolean isReachable() {
        try (Connection connection = dataSource.getConnection()) {
            return connection.isValid(1);
        } catch (SQLException e) {
            return false;
        }
    }

    /** Commits what the writer holds, then closes the pool. */
    @Override
    public void close() {
        writer.close();
        connector.close();
        dataSource.close();
    }
}
