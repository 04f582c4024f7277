package dev.fastchat.server.account;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The log-in guard slows guessing without letting an attacker lock anyone out (time moved by hand). */
class LoginGuardTest {
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

        void advance(Duration by) {
            now = now.plus(by);
        }
    }

    private final ManualClock clock = new ManualClock();
    /** The defaults: 1 s doubling to 30 s; 2/s burst 10 per address; 1/s burst 30 per account. */
    private final LoginGuard guard = new LoginGuard(Duration.ofSeconds(1), Duration.ofSeconds(30), 2, 10, 1, 30, clock);

    @Test
    void anAccountUnderAttackIsSlowedBySecondsNeverLockedForMinutes() {
        for (int failure = 1; failure <= 12; failure++) {
            assertThat(guard.retryAfter("victim", "10.0.0.66")).as("before guess %d", failure).isEmpty();
            guard.failed("victim", "10.0.0.66");
            Duration wait = guard.retryAfter("victim", "10.0.0.66").orElseThrow();
            assertThat(wait).isLessThanOrEqualTo(Duration.ofSeconds(30)); // growing, capped: seconds, not minutes
            clock.advance(wait);
        }
        guard.succeeded("victim", "10.0.0.66");
        assertThat(guard.retryAfter("victim", "10.0.0.66")).isEmpty();
    }

    @Test
    void theUserFromACleanAddressIsNeverRefusedBecauseOfOthersFailures() {
        for (int i = 0; i < 500; i++) { // many attackers exhaust the account's budget
            guard.failed("victim", "10.0.1." + (i % 250));
        }
        assertThat(guard.retryAfter("victim", "192.0.2.10")).as("the victim's own address").isEmpty();
        assertThat(guard.retryAfter("victim", "10.0.1.7")).as("an attacker's address").isPresent();
    }

    @Test
    void oneAddressGuessingManyAccountsIsHeldToAFewGuessesPerSecond() {
        int guesses = 0;
        Duration elapsed = Duration.ZERO;
        Duration step = Duration.ofMillis(10);
        for (int account = 0; elapsed.compareTo(Duration.ofSeconds(60)) < 0; account++) { // a new account each time
            Optional<Duration> wait = guard.retryAfter("account" + account, "203.0.113.5");
            if (wait.isEmpty()) {
                guard.failed("account" + account, "203.0.113.5");
                guesses++;
            }
            clock.advance(step);
            elapsed = elapsed.plus(step);
        }
        double perSecond = guesses / 60.0;
        assertThat(guesses).isLessThanOrEqualTo(10 + 2 * 60 + 1); // the burst, then 2 a second
        assertThat(perSecond).isLessThan(2.3);
    }

    @Test
    void oneAddressGuessingOneAccountGetsFewerStill() {
        int guesses = 0;
        for (int second = 0; second < 600; second++) { // ten minutes, trying every second
            if (guard.retryAfter("victim", "203.0.113.5").isEmpty()) {
                guard.failed("victim", "203.0.113.5");
                guesses++;
            }
            clock.advance(Duration.ofSeconds(1));
        }
        assertThat(guesses).isBetween(20, 30); // about one every 30 s once the delay reached its cap
    }
}
