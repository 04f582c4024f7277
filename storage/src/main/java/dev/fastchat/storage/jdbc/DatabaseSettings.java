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
 */
public record DatabaseSettings(String url, String schema, int poolSize, int writerBatchLimit, int writerQueueLimit,
                               Duration connectTimeout) {

    /** Settings with the defaults for everything but the URL. */
    public static DatabaseSettings of(String url) {
        return new DatabaseSettings(url, null, 8, 256, 65_536, Duration.ofSeconds(3));
    }

    /** These settings with another schema. */
    public DatabaseSettings withSchema(String newSchema) {
        return new DatabaseSettings(url, newSchema, poolSize, writerBatchLimit, writerQueueLimit, connectTimeout);
    }

    /** These settings with another read pool size. */
    public DatabaseSettings withPoolSize(int size) {
        return new DatabaseSettings(url, schema, size, writerBatchLimit, writerQueueLimit, connectTimeout);
    }

    /** These settings with another writer batch limit. */
    public DatabaseSettings withWriterBatchLimit(int limit) {
        return new DatabaseSettings(url, schema, poolSize, limit, writerQueueLimit, connectTimeout);
    }
}
