package dev.fastchat.server.message;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per account: {@code burst} sends at once, refilled at {@code rate} per second. Per node
 * and in memory: a user spread over several nodes gets the rate on each.
 */
final class SendRateLimiter {
    private final double rate;
    private final double burst;
    private final Clock clock;
    private final Map<Long, Bucket> buckets = new ConcurrentHashMap<>();

    private static final class Bucket {
        double tokens;
        long updatedNanos;
    }

    SendRateLimiter(int rate, int burst, Clock clock) {
        this.rate = rate;
        this.burst = burst;
        this.clock = clock;
    }

    /** Takes a token; false when the account is over its rate. */
    boolean tryAcquire(long accountId) {
        long now = clock.millis() * 1_000_000L;
        Bucket bucket = buckets.computeIfAbsent(accountId, id -> {
            Bucket fresh = new Bucket();
            fresh.tokens = burst;
            fresh.updatedNanos = now;
            return fresh;
        });
        synchronized (bucket) {
            double elapsed = Math.max(0, now - bucket.updatedNanos) / 1e9;
            bucket.tokens = Math.min(burst, bucket.tokens + elapsed * rate);
            bucket.updatedNanos = now;
            if (bucket.tokens < 1) {
                return false;
            }
            bucket.tokens -= 1;
            if (buckets.size() > 100_000 && bucket.tokens >= burst - 1) {
                buckets.remove(accountId); // a full bucket carries no state worth keeping
            }
            return true;
        }
    }
}
