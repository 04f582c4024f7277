package dev.fastchat.server.transport;

import dev.fastchat.protocol.Envelopes;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.server.config.LimitsConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts open client connections, in all and per source address (the client's real address, behind a
 * trusted proxy), and turns away those over {@code max-connections} or {@code max-connections-per-address}
 * with an {@code Error} before anything of theirs is read. Addresses in {@code exempt-addresses} are not
 * held to the per-address cap.
 */
final class ConnectionLimiter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionLimiter.class);

    private final LimitsConfig limits;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<String, Integer> perAddress = new ConcurrentHashMap<>();
    /** Refusals since the last log line: logged at most once a minute, so a flood cannot flood the log. */
    private final AtomicInteger refusedSinceLog = new AtomicInteger();
    private volatile long lastLogNanos = System.nanoTime() - 60_000_000_000L;

    ConnectionLimiter(LimitsConfig limits) {
        this.limits = limits;
    }

    /**
     * Counts {@code channel} as a connection from {@code address} until it closes, or, over a cap, tells the
     * client why and closes it.
     *
     * @return whether the connection was admitted
     */
    boolean admit(Channel channel, String address) {
        String refusal = null;
        if (total.incrementAndGet() > limits.maxConnections()) {
            refusal = "the server has too many connections (" + limits.maxConnections() + "); try again later";
        } else if (limits.limitsAddress(address)) {
            boolean[] full = new boolean[1];
            perAddress.compute(address, (a, count) -> {
                int open = count == null ? 0 : count;
                full[0] = open >= limits.maxConnectionsPerAddress();
                return full[0] ? count : Integer.valueOf(open + 1);
            });
            if (full[0]) {
                refusal = "too many connections from " + address + " (at most " + limits.maxConnectionsPerAddress() + ")";
            } else {
                channel.closeFuture().addListener(closed -> release(address));
            }
        }
        if (refusal != null) {
            total.decrementAndGet();
            refused(address, refusal);
            channel.writeAndFlush(Envelopes.error(0, ErrorCode.UNAVAILABLE, refusal)).addListener(ChannelFutureListener.CLOSE);
            return false;
        }
        channel.closeFuture().addListener(closed -> total.decrementAndGet());
        return true;
    }

    private void release(String address) {
        perAddress.computeIfPresent(address, (a, count) -> count == 1 ? null : count - 1);
    }

    private void refused(String address, String reason) {
        int refused = refusedSinceLog.incrementAndGet();
        long now = System.nanoTime();
        long last = lastLogNanos;
        if (now - last >= 60_000_000_000L && refusedSinceLog.compareAndSet(refused, 0)) {
            lastLogNanos = now;
            log.warn("refused {} connection(s) in the last minute; the latest from {}: {}", refused, address, reason);
        }
    }

    /** Open connections counted now. */
    int open() {
        return total.get();
    }
}
