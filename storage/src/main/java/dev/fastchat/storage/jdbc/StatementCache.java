package dev.fastchat.storage.jdbc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keeps the writer connection's prepared statements across transactions. Preparing is most of the cost of
 * a small write on SQLite (sqlite-jdbc parses every statement again), and the writer runs the same few
 * statements all day.
 *
 * <p>{@link #connection()} is a view of the underlying connection for write tasks: its one-argument
 * {@code prepareStatement} returns a cached statement whose {@code close()} only clears its parameters,
 * and closing the view does nothing (the writer owns the connection). Other methods go to the connection
 * as they are. At most {@value #CAPACITY} statements are kept, least recently used dropped first.
 */
final class StatementCache implements AutoCloseable {
    static final int CAPACITY = 64;

    private final Connection target;
    private final Connection view;
    /** A prepared statement and the view of it that tasks get. */
    private record Cached(PreparedStatement prepared, PreparedStatement view) {}

    private final Map<String, Cached> statements = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
            if (size() <= CAPACITY) {
                return false;
            }
            closeQuietly(eldest.getValue());
            return true;
        }
    };

    StatementCache(Connection target) {
        this.target = target;
        this.view = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                this::onConnection);
    }

    /** The connection to give to write tasks. */
    Connection connection() {
        return view;
    }

    private Object onConnection(Object proxy, Method method, Object[] args) throws Throwable {
        return switch (method.getName()) {
            case "prepareStatement" -> args.length == 1 ? prepare((String) args[0]) : invoke(target, method, args);
            case "close" -> null;
            case "isClosed" -> target.isClosed();
            case "unwrap" -> ((Class<?>) args[0]).isInstance(proxy) ? proxy : target.unwrap((Class<?>) args[0]);
            case "equals" -> proxy == args[0];
            case "hashCode" -> System.identityHashCode(proxy);
            case "toString" -> "cached statements on " + target;
            default -> invoke(target, method, args);
        };
    }

    private PreparedStatement prepare(String sql) throws SQLException {
        Cached cached = statements.get(sql);
        if (cached == null) {
            PreparedStatement prepared = target.prepareStatement(sql);
            PreparedStatement statement = (PreparedStatement) Proxy.newProxyInstance(PreparedStatement.class.getClassLoader(),
                    new Class<?>[] {PreparedStatement.class}, (proxy, method, args) -> switch (method.getName()) {
                        case "close" -> {
                            prepared.clearParameters();
                            yield null;
                        }
                        case "isClosed" -> false;
                        case "getConnection" -> view;
                        case "equals" -> proxy == args[0];
                        case "hashCode" -> System.identityHashCode(proxy);
                        default -> invoke(prepared, method, args);
                    });
            cached = new Cached(prepared, statement);
            statements.put(sql, cached);
        }
        return cached.view();
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** Closes the cached statements (not the connection). */
    @Override
    public void close() {
        statements.values().forEach(StatementCache::closeQuietly);
        statements.clear();
    }

    private static void closeQuietly(Cached statement) {
        try {
            statement.prepared().close();
        } catch (SQLException ignored) {
            // the connection is going away or already broken
        }
    }
}
