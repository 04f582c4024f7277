package dev.fastchat.storage.jdbc;

import java.time.Duration;

/**
 * How to reach and use a database.
 *
 * @param url JDBC URL: {@code jdbc:sqlite:PATH} or {@code jdbc:postgresql://HOST:PORT/DB}
 * @param schema PostgreSQL schema to use and create (null for the default); ignored for SQLite
 * @param poolSize connections for reads (the writer keeps one more of its own)
 * @param writerBatchLimit most writes committed in one transaction
 * @param writerQueueLimit most writes waiting; beyond it writes fail at once as unavailable
 * @param connectTimeout how long to wait for a connection before failing a request
 * @param commitLinger how long the writer's transaction may wait for more writes when they come faster than it
 *     commits (see {@link GroupCommitWriter}; zero: never)
 */
public record DatabaseSettings(String url, String schema, int poolSize, int writerBatchLimit, int writerQueueLimit,
                               Duration connectTimeout, Duration commitLinger) {

    /** The writer's linger unless set: a millisecond. */
    public static final Duration DEFAULT_COMMIT_LINGER = Duration.ofMillis(1);

    /** Settings with the defaults for everything but the URL. */
    public static DatabaseSettings of(String url) {
        return new DatabaseSettings(url, null, 8, 256, 65_536, Duration.ofSeconds(3), DEFAULT_COMMIT_LINGER);
    }

    /** These settings with another schema. */
    public DatabaseSettings withSchema(String newSchema) {
        return new DatabaseSettings(url, newSchema, poolSize, writerBatchLimit, writerQueueLimit, connectTimeout, commitLinger);
    }

    /** These settings with another read pool size. */
    public DatabaseSettings withPoolSize(int size) {
        return new DatabaseSettings(url, schema, size, writerBatchLimit, writerQueueLimit, connectTimeout, commitLinger);
    }

    /** These settings with another writer batch limit. */
    public DatabaseSettings withWriterBatchLimit(int limit) {
        return new DatabaseSettings(url, schema, poolSize, limit, writerQueueLimit, connectTimeout, commitLinger);
    }

    /** These settings with another linger of the writer's transactions. */
    public DatabaseSettings withCommitLinger(Duration linger) {
        return new DatabaseSettings(url, schema, poolSize, writerBatchLimit, writerQueueLimit, connectTimeout, linger);
    }
}
