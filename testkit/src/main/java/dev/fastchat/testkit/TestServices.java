package dev.fastchat.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/**
 * The real services integration tests use: PostgreSQL and NATS (JetStream). Their addresses default to the
 * usual loopback ones ({@code 127.0.0.1:5432}, user {@code postgres}; {@code 127.0.0.1:4222}) and can be
 * changed with {@code FASTCHAT_TEST_POSTGRES_URL} (a JDBC URL) and {@code FASTCHAT_TEST_NATS_URL}.
 *
 * <p>A service that does not answer skips the tests that need it, with a reason, and is named in one line
 * of the console summary ({@link UnavailableServicesReport}) with how to start it; under {@code CI=true} the
 * tests fail instead.
 */
public final class TestServices {
    /** PostgreSQL: the variable, its default, and how to start the service. */
    public static final Service POSTGRES = new Service("PostgreSQL", "FASTCHAT_TEST_POSTGRES_URL",
            "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres",
            "start it (e.g. 'pg_ctlcluster 15 main start'; bash .ci/run installs and starts it)");
    /** NATS with JetStream. */
    public static final Service NATS = new Service("NATS", "FASTCHAT_TEST_NATS_URL", "nats://127.0.0.1:4222",
            "start it with JetStream (e.g. 'nats-server -a 127.0.0.1 -js &'; bash .ci/run installs and starts it)");

    private static final Map<Service, Boolean> REACHABLE = new ConcurrentHashMap<>();
    /** Tests skipped per unreachable service, for the console summary. */
    static final Map<String, AtomicInteger> SKIPPED = new ConcurrentSkipListMap<>();

    private TestServices() {}

    /** A real service the tests need. */
    public record Service(String name, String variable, String defaultUrl, String howToStart) {
        /** The URL to use: the variable's value, or the default. */
        public String url() {
            return Optional.ofNullable(System.getenv(variable)).filter(v -> !v.isBlank()).orElse(defaultUrl);
        }

        /** Host and port of {@link #url()} ({@code jdbc:} stripped). */
        public InetSocketAddress address() {
            URI uri = URI.create(url().replaceFirst("^jdbc:", ""));
            return InetSocketAddress.createUnresolved(uri.getHost(), uri.getPort());
        }
    }

    /**
     * The service's URL if it answers; otherwise skips the test (or fails it under {@code CI=true}) with a
     * reason that says how to start the service.
     */
    public static String require(Service service) {
        String url = service.url();
        if (REACHABLE.computeIfAbsent(service, TestServices::answers)) {
            return url;
        }
        InetSocketAddress address = service.address();
        String reason = service.name() + " is not reachable at " + address.getHostString() + ":" + address.getPort()
                + ": " + service.howToStart() + ", or set " + service.variable();
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException(reason + " (CI=true requires every integration test to run)");
        }
        SKIPPED.computeIfAbsent(reason, r -> new AtomicInteger()).incrementAndGet();
        Assumptions.abort(reason);
        throw new AssertionError("unreachable");
    }

    private static boolean answers(Service service) {
        InetSocketAddress address = service.address();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address.getHostString(), address.getPort()), 2_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
