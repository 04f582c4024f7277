package dev.fastchat.server.account;

import dev.fastchat.server.limits.TokenBucket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Slows password guessing without letting anyone lock a user out. Three limits, checked before a password is:
 * <ul>
 *   <li>per (account, address): each failure makes the next try from there wait longer, from
 *       {@code firstDelay} doubling up to {@code maxDelay}; a success forgets it. Delays of seconds, never a
 *       lockout for minutes.</li>
 *   <li>per address: failures spend a token bucket ({@code addressBurst}, refilled at {@code addressRate} per
 *       second), so one address guessing many accounts is held to a few guesses per second in all.</li>
 *   <li>per account: failures from all addresses spend a bucket of the account's; when it is empty, only
 *       addresses that already failed on the account wait. An address with no failure on the account (the
 *       user's own) is never refused because of others' failures.</li>
 * </ul>
 * In memory and per node, bounded in size (the oldest entries go first). Thread-safe.
 */
public final class LoginGuard {
    private static final int MAX_ENTRIES = 100_000;

    private final Duration firstDelay;
    private final Duration maxDelay;
    private final double addressRate;
    private final int addressBurst;
    private final double accountRate;
    private final int accountBurst;
    private final Clock clock;
    private final Map<String, Failures> pairs = bounded();
    private final Map<String, TokenBucket> addresses = bounded();
    private final Map<String, TokenBucket> accounts = bounded();

    public LoginGuard(Duration firstDelay, Duration maxDelay, double addressRate, int addressBurst, double accountRate,
                      int accountBurst, Clock clock) {
        this.firstDelay = firstDelay;
        this.maxDelay = maxDelay;
        this.addressRate = addressRate;
        this.addressBurst = addressBurst;
        this.accountRate = accountRate;
        this.accountBurst = accountBurst;
        this.clock = clock;
    }

    /** How long a log-in to {@code account} from {@code address} must wait; empty when it may try now. */
    public synchronized Optional<Duration> retryAfter(String account, String address) {
        Instant now = clock.instant();
        Failures pair = pairs.get(account + "\n" + address);
        Duration wait = Duration.ZERO;
        if (pair != null && now.isBefore(pair.notBefore)) {
            wait = Duration.between(now, pair.notBefore);
        }
        TokenBucket fromAddress = addresses.get(address);
        if (fromAddress != null) {
            wait = max(wait, fromAddress.waitForOne(nanos(now), addressRate, addressBurst));
        }
        TokenBucket ofAccount = accounts.get(account);
        if (ofAccount != null && pair != null) {
            wait = max(wait, ofAccount.waitForOne(nanos(now), accountRate, accountBurst));
        }
        return wait.isZero() ? Optional.empty() : Optional.of(wait);
    }

    /** Records a wrong password for {@code account} from {@code address}. */
    public synchronized void failed(String account, String address) {
        Instant now = clock.instant();
        Failures pair = pairs.computeIfAbsent(account + "\n" + address, key -> new Failures());
        pair.count++;
        long factor = 1L << Math.min(pair.count - 1, 30);
        Duration delay = firstDelay.multipliedBy(factor);
        pair.notBefore = now.plus(delay.compareTo(maxDelay) > 0 ? maxDelay : delay);
        long nanos = nanos(now);
        addresses.computeIfAbsent(address, key -> new TokenBucket(addressBurst, nanos)).spend(nanos, addressRate, addressBurst);
        accounts.computeIfAbsent(account, key -> new TokenBucket(accountBurst, nanos)).spend(nanos, accountRate, accountBurst);
    }

    /** A right password: the pair's failures are forgotten (the buckets refill by themselves). */
    public synchronized void succeeded(String account, String address) {
        pairs.remove(account + "\n" + address);
    }

    private static long nanos(Instant instant) {
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static <V> Map<String, V> bounded() {
        return new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > MAX_ENTRIES;
            }
        };
    }

    private static final class Failures {
        int count;
        Instant notBefore = Instant.MIN;
    }
}
