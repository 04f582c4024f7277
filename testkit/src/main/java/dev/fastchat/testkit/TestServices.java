package dev.fastchat.testkit;

import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * Addresses of the real services integration tests use, from the environment:
 * {@code FASTCHAT_TEST_POSTGRES_URL} (a JDBC URL) and {@code FASTCHAT_TEST_NATS_URL}. Unset locally, the
 * tests that need them are skipped with a reason; under {@code CI=true} an unset address fails them.
 */
public final class TestServices {
    public static final String POSTGRES_URL = "FASTCHAT_TEST_POSTGRES_URL";
    public static final String NATS_URL = "FASTCHAT_TEST_NATS_URL";

    private TestServices() {}

    /** The value of {@code variable}, or aborts (skips) the test, or fails it under CI. */
    public static String require(String variable) {
        Optional<String> value = Optional.ofNullable(System.getenv(variable)).filter(v -> !v.isBlank());
        if (value.isPresent()) {
            return value.get();
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException(variable + " is not set, and CI=true requires every integration test to run");
        }
        Assumptions.abort(variable + " is not set: skipping (set it to run against a real service)");
        throw new AssertionError("unreachable");
    }
}
