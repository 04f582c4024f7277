package dev.fastchat.server.limits;

import java.time.Duration;

/**
 * A token bucket: holds up to {@code burst} tokens and refills at {@code rate} tokens per second. The rate and
 * burst are passed on each call (the owner keeps them, for many buckets). Not thread-safe: callers lock.
 */
public final class TokenBucket {
    private double tokens;
    private long updatedNanos;

    /** A bucket holding {@code tokens} at {@code nowNanos}. */
    public TokenBucket(double tokens, long nowNanos) {
        this.tokens = tokens;
        this.updatedNanos = nowNanos;
    }

    private void refill(long nowNanos, double rate, double burst) {
        long elapsed = nowNanos - updatedNanos;
        if (elapsed > 0) {
            tokens = Math.min(burst, tokens + elapsed / 1e9 * rate);
            updatedNanos = nowNanos;
        }
    }

    /** Takes a token if there is one. */
    public boolean tryTake(long nowNanos, double rate, double burst) {
        refill(nowNanos, rate, burst);
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }

    /** Takes a token whether or not there is one (the count may go below zero: the debt is paid by waiting). */
    public void spend(long nowNanos, double rate, double burst) {
        refill(nowNanos, rate, burst);
        tokens -= 1;
    }

    /** How long until a token is there; zero when one is. */
    public Duration waitForOne(long nowNanos, double rate, double burst) {
        refill(nowNanos, rate, burst);
        return tokens >= 1 ? Duration.ZERO : Duration.ofNanos((long) Math.ceil((1 - tokens) / rate * 1e9));
    }

    /** Whether the bucket is full to within one token (it carries no state worth keeping). */
    public boolean nearlyFull(double burst) {
        return tokens >= burst - 1;
    }
}
