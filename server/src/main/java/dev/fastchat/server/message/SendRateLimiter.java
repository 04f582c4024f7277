package dev.fastchat.server.message;

import dev.fastchat.server.limits.TokenBucket;
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
    private final Map<Long, TokenBucket> buckets = new ConcurrentHashMap<>();

    SendRateLimiter(int rate, int burst, Clock clock) {
        this.rate = rate;
        this.burst = burst;
        this.clock = clock;
    }

    /** Takes a token; false when the account is over its rate. */
    boolean tryAcquire(long accountId) {
        long now = clock.millis() * 1_000_000L;
        TokenBucket bucket = buckets.computeIfAbsent(accountId, id -> new TokenBucket(burst, now));
        synchronized (bucket) {
            if (!bucket.tryTake(now, rate, burst)) {
                return false;
            }
            if (buckets.size() > 100_000 && bucket.nearlyFull(burst)) {
                buckets.remove(accountId); // a full bucket carries no state worth keeping
            }
            return true;
        }
    }
}
