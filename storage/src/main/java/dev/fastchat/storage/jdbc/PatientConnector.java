package dev.fastchat.storage.jdbc;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Opens the pool's connections. Once {@linkplain #bePatient() the database has been reached}, an attempt
 * that fails is tried again every {@value #RETRY_MILLIS} ms for up to {@link #PATIENCE} before the failure is
 * passed on.
 *
 * <p>The pool backs off between failed attempts, doubling the pause up to 5 s, so after an outage of more than a
 * few seconds the first connection could come up to 5 s after the database was back, and every request failed
 * meanwhile. Retrying here at a steady pace keeps the pool from reaching those pauses: a connection is had within
 * {@value #RETRY_MILLIS} ms of the database's return (for outages shorter than several minutes). Requests do not wait
 * for it: they fail after the pool's connection timeout as before.
 */
final class PatientConnector implements DataSource {
    static final long RETRY_MILLIS = 200;
    static final Duration PATIENCE = Duration.ofMinutes(1);

    private final String url;
    private final Properties properties;
    private volatile boolean patient;
    private volatile boolean closed;
    private volatile int loginTimeoutSeconds;

    PatientConnector(String url, Properties properties) {
        this.url = url;
        this.properties = properties;
    }

    /** From now on, failed attempts are retried: call once the database has been reached and migrated. */
    void bePatient() {
        patient = true;
    }

    /** Stops retrying, so that closing the pool does not wait for an attempt in progress. */
    void close() {
        closed = true;
    }

    @Override
    public Connection getConnection() throws SQLException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (true) {
            try {
                return DriverManager.getConnection(url, properties);
            } catch (SQLException e) {
                if (!patient || closed || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                try {
                    Thread.sleep(RETRY_MILLIS);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("the user and password are part of the database URL");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // no log writer: failures are passed on as exceptions
    }

    @Override
    public void setLoginTimeout(int seconds) {
        loginTimeoutSeconds = seconds;
        if (seconds > 0 && url.startsWith("jdbc:postgresql:")) {
            properties.setProperty("loginTimeout", Integer.toString(seconds));
            properties.setProperty("connectTimeout", Integer.toString(seconds));
        }
    }

    @Override
    public int getLoginTimeout() {
        return loginTimeoutSeconds;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("no java.util.logging here");
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        throw new SQLException("not a wrapper of " + type.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return type.isInstance(this);
    }
}
