package dev.fastchat.server.account;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {
    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        Instant now = Instant.parse("2026-11-24T10:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void refusesAfterTheLimitUntilTheOldestFailureAgesOut() {
        ManualClock clock = new ManualClock();
        LoginThrottle throttle = new LoginThrottle(3, Duration.ofMinutes(15), clock);
        throttle.failed("alice");
        clock.now = clock.now.plusSeconds(60);
        throttle.failed("alice");
        throttle.failed("alice");
        assertThat(throttle.retryAfter("alice")).contains(Duration.ofMinutes(14));
        assertThat(throttle.retryAfter("bob")).isEmpty();
        clock.now = clock.now.plus(Duration.ofMinutes(14));
        assertThat(throttle.retryAfter("alice")).isEmpty();
    }

    @Test
    void successForgetsFailuresAndSweepDropsOldKeys() {
        ManualClock clock = new ManualClock();
        LoginThrottle throttle = new LoginThrottle(2, Duration.ofMinutes(1), clock);
        throttle.failed("a");
        throttle.failed("a");
        assertThat(throttle.retryAfter("a")).isPresent();
        throttle.succeeded("a");
        assertThat(throttle.retryAfter("a")).isEmpty();
        throttle.failed("b");
        clock.now = clock.now.plus(Duration.ofMinutes(2));
        throttle.sweep();
        assertThat(throttle.retryAfter("b")).isEmpty();
    }
}
