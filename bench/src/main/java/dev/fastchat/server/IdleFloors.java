package dev.fastchat.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * What this machine costs after idle, with nothing of FastChat in it: a TCP round trip over loopback between two Java
 * threads (blocking sockets, 32 bytes), a thread woken by {@code LockSupport.unpark}, and, with
 * {@code FASTCHAT_BENCH_POSTGRES_URL} set, a PostgreSQL transaction like a batch of one message (an
 * {@code UPDATE ... RETURNING}, an {@code INSERT}, {@code COMMIT}, in tables of its own, dropped after). Each is timed
 * {@code COUNT} times after {@code IDLE_MS} of sleep, then 1 ms apart; the p50 and p90 of each. Bounded by its arguments.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.fastchat.server.IdleFloors [IDLE_MS] [COUNT]} (defaults 100,
 * 100).
 */
public final class IdleFloors {
    private IdleFloors() {}

    /** One timed step: it returns how long it took. */
    @FunctionalInterface
    public interface Step {
        long nanos() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int idleMillis = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int count = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        try (Echo echo = new Echo()) {
            report("TCP round trip over loopback", echo::roundTrip, idleMillis, count);
        }
        try (Sleeper sleeper = new Sleeper()) {
            report("thread woken by unpark", sleeper::wakeUp, idleMillis, count);
        }
        String postgres = System.getenv("FASTCHAT_BENCH_POSTGRES_URL");
        if (postgres != null) {
            try (Connection connection = DriverManager.getConnection(postgres)) {
                report("PostgreSQL transaction (update, insert, commit)", transaction(connection), idleMillis, count);
            } finally {
                try (Connection connection = DriverManager.getConnection(postgres); Statement statement = connection.createStatement()) {
                    statement.execute("DROP TABLE IF EXISTS idle_floor_messages");
                    statement.execute("DROP TABLE IF EXISTS idle_floor_conversations");
                }
            }
        }
    }

    private static void report(String what, Step step, int idleMillis, int count) throws Exception {
        step.nanos(); // the first one of a series warms its path
        long[] idle = timed(step, idleMillis, count);
        step.nanos();
        long[] busy = timed(step, 1, count);
        System.out.printf("%-50s after %d ms idle: p50 %7.3f ms, p90 %7.3f ms; 1 ms apart: p50 %7.3f ms, p90 %7.3f ms%n", what,
                idleMillis, idle[count / 2] / 1e6, idle[count * 9 / 10] / 1e6, busy[count / 2] / 1e6, busy[count * 9 / 10] / 1e6);
    }

    /**
     * {@code count} steps, each after {@code idleMillis} of sleep (none: back to back), in nanoseconds, sorted: the p50
     * is at {@code count / 2}.
     */
    public static long[] timed(Step step, long idleMillis, int count) throws Exception {
        long[] nanos = new long[count];
        for (int i = 0; i < count; i++) {
            if (idleMillis > 0) {
                Thread.sleep(idleMillis);
            }
            nanos[i] = step.nanos();
        }
        Arrays.sort(nanos);
        return nanos;
    }

    /** A platform thread parked between steps; a step unparks it and spins until it has run. */
    private static final class Sleeper implements AutoCloseable {
        private volatile long unparkedAt;
        private volatile long latency = -1;
        private volatile boolean done;
        private final Thread thread = Thread.ofPlatform().daemon(true).start(this::sleep);

        private void sleep() {
            while (!done) {
                long at = unparkedAt;
                if (at == 0) {
                    LockSupport.park();
                    continue;
                }
                latency = System.nanoTime() - at;
                unparkedAt = 0;
            }
        }

        long wakeUp() {
            latency = -1;
            unparkedAt = System.nanoTime();
            LockSupport.unpark(thread);
            long took;
            while ((took = latency) < 0) {
                Thread.onSpinWait();
            }
            return took;
        }

        @Override
        public void close() throws InterruptedException {
            done = true;
            LockSupport.unpark(thread);
            thread.join(5_000);
        }
    }

    private static Step transaction(Connection connection) throws Exception {
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS idle_floor_conversations (id TEXT PRIMARY KEY, last_seq BIGINT NOT NULL)");
            statement.execute("CREATE TABLE IF NOT EXISTS idle_floor_messages (conversation_id TEXT, seq BIGINT, sealed BYTEA,"
                    + " PRIMARY KEY (conversation_id, seq))");
            statement.execute("INSERT INTO idle_floor_conversations VALUES ('c', 0) ON CONFLICT DO NOTHING");
        }
        connection.setAutoCommit(false);
        PreparedStatement update = connection.prepareStatement("UPDATE idle_floor_conversations SET last_seq = last_seq + 1 WHERE id = 'c'"
                + " RETURNING last_seq");
        PreparedStatement insert = connection.prepareStatement("INSERT INTO idle_floor_messages VALUES ('c', ?, ?)");
        byte[] sealed = new byte[300];
        return () -> {
            long start = System.nanoTime();
            long seq;
            try (ResultSet next = update.executeQuery()) {
                next.next();
                seq = next.getLong(1);
            }
            insert.setLong(1, seq);
            insert.setBytes(2, sealed);
            insert.executeUpdate();
            connection.commit();
            return System.nanoTime() - start;
        };
    }

    /** A loopback echo server on a thread of its own, and a client connection to it. */
    private static final class Echo implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        private final Thread echoing = Thread.ofPlatform().daemon(true).start(this::echo);
        private final Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        private final byte[] bytes = new byte[32];

        Echo() throws IOException {
            client.setTcpNoDelay(true);
        }

        private void echo() {
            try (Socket socket = server.accept()) {
                socket.setTcpNoDelay(true);
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                byte[] buffer = new byte[64];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    out.write(buffer, 0, n);
                }
            } catch (IOException e) {
                // closed
            }
        }

        long roundTrip() throws IOException {
            long start = System.nanoTime();
            client.getOutputStream().write(bytes);
            InputStream in = client.getInputStream();
            for (int got = 0; got < bytes.length; ) {
                int n = in.read(bytes, got, bytes.length - got);
                if (n < 0) {
                    throw new IOException("the echo closed");
                }
                got += n;
            }
            return System.nanoTime() - start;
        }

        @Override
        public void close() throws Exception {
            client.close();
            server.close();
            echoing.join(5_000);
        }
    }
}
