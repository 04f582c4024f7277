package dev.fastchat.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A fresh, empty schema in the real PostgreSQL named by {@code FASTCHAT_TEST_POSTGRES_URL}, per test class.
 * Register as a static field with {@code @RegisterExtension}; the schema is dropped after the class.
 */
public final class PostgresExtension implements BeforeAllCallback, AfterAllCallback {
    private String baseUrl;
    private String schema;

    @Override
    public void beforeAll(ExtensionContext context) throws SQLException {
        baseUrl = TestServices.require(TestServices.POSTGRES);
        schema = "t_" + context.getRequiredTestClass().getSimpleName().toLowerCase(Locale.ROOT)
                + "_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL);
        execute("CREATE SCHEMA " + schema);
    }

    @Override
    public void afterAll(ExtensionContext context) throws SQLException {
        if (schema != null) {
            execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    /** The JDBC URL of the server, without a schema. */
    public String baseUrl() {
        return baseUrl;
    }

    /** The schema created for this test class. */
    public String schema() {
        return schema;
    }

    /** A JDBC URL whose connections use this class's schema. */
    public String url() {
        return withSchema(baseUrl, schema);
    }

    /** {@code url} with {@code currentSchema} set to {@code schema}. */
    public static String withSchema(String url, String schema) {
        return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    /** A new connection to this class's schema. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url());
    }

    private void execute(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(baseUrl); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
