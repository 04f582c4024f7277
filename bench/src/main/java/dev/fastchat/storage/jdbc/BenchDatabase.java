package dev.fastchat.storage.jdbc;

import java.nio.file.Files;
import java.sql.Statement;
import java.util.function.UnaryOperator;

/**
 * A database for one benchmark trial: a new SQLite file, or a PostgreSQL schema of its own (on
 * {@code FASTCHAT_BENCH_POSTGRES_URL}, for example {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres}),
 * dropped when the trial closes it.
 */
final class BenchDatabase implements AutoCloseable {
    private final Database db;
    private final String schema;

    private BenchDatabase(Database db, String schema) {
        this.db = db;
        this.schema = schema;
    }

    /**
     * @param database "sqlite" or "postgresql"
     * @param trial a name for the PostgreSQL schema, unique among the trials of one run
     * @param settings changes to the default settings
     */
    static BenchDatabase open(String database, String trial, UnaryOperator<DatabaseSettings> settings) throws Exception {
        if (database.equals("sqlite")) {
            String file = Files.createTempDirectory("fastchat-bench").resolve("bench.db").toString();
            return new BenchDatabase(Database.open(settings.apply(DatabaseSettings.of("jdbc:sqlite:" + file))), null);
        }
        String url = System.getenv("FASTCHAT_BENCH_POSTGRES_URL");
        if (url == null || url.isBlank()) {
            throw new IllegalStateException("set FASTCHAT_BENCH_POSTGRES_URL to benchmark PostgreSQL");
        }
        String schema = "bench_" + ProcessHandle.current().pid() + "_" + trial;
        return new BenchDatabase(Database.open(settings.apply(DatabaseSettings.of(url).withSchema(schema))), schema);
    }

    Database db() {
        return db;
    }

    /** Drops the PostgreSQL schema (a SQLite file stays in its temporary folder), then closes the database. */
    @Override
    public void close() throws Exception {
        if (schema != null) {
            db.writer().submit("drop bench schema", c -> {
                try (Statement s = c.createStatement()) {
                    s.execute("DROP SCHEMA " + schema + " CASCADE");
                }
                return null;
            }).get();
        }
        db.close();
    }
}
