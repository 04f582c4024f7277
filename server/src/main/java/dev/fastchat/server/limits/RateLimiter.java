package dev.fastchat.server.limits;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per key (an account, an address): {@code burst} actions at once, refilled at {@code rate}
 * per second. Per node and in memory: a user spread over several nodes gets the rate on each.
 *
 * @param <K> what is limited
 */
public final class RateLimiter<K> {
    /** Buckets kept before full ones are dropped (a full bucket carries no state worth keeping). */
    private static final int TIDY_ABOVE = 100_000;

    private final double rate;
    private final double burst;
    private final Clock clock;
    private final Map<K, TokenBucket> buckets = new ConcurrentHashMap<>();

    /** {@code count} actions per {@code period}, all of them at once if none were taken for a period. */
    public static <K> RateLimiter<K> perPeriod(int count, Duration period, Clock clock) {
        return new RateLimiter<>(count / (period.toNanos() / 1e9), count, clock);
    }

    public RateLimiter(double rate, double burst, Clock clock) {
        this.rate = rate;
        this.burst = burst;
        this.clock = clock;
    }

    /** Takes a token for {@code key}: empty when taken, else how long until one is there. */
    public Optional<Duration> tryTake(K key) {
        long now = clock.millis() * 1_000_000L;
        TokenBucket bucket = buckets.computeIfAbsent(key, k -> new TokenBucket(burst, now));
        synchronized (bucket) {
            if (!bucket.tryTake(now, rate, burst)) {
                return Optional.of(bucket.waitForOne(now, rate, burst));
            }
            if (buckets.size() > TIDY_ABOVE && bucket.nearlyFull(burst)) {
                buckets.remove(key);
            }
            return Optional.empty();
        }
    }
}
