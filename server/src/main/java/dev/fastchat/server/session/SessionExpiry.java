package dev.fastchat.server.session;

import dev.fastchat.storage.SessionRepository;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends sessions when their token expires: every second, this node's connections of expired sessions get
 * {@code SessionEnded} and are closed; every minute, expired sessions are deleted from the database.
 */
public final class SessionExpiry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SessionExpiry.class);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("fastchat-session-expiry").daemon().factory());

    public SessionExpiry(SessionRegistry live, SessionRepository stored, Clock clock) {
        timer.scheduleWithFixedDelay(() -> live.endExpired(clock.instant()), 1, 1, TimeUnit.SECONDS);
        timer.scheduleWithFixedDelay(() -> stored.deleteExpired(clock.instant()).whenComplete((deleted, failure) -> {
            if (failure != null) {
                log.debug("expired sessions not deleted now: {}", failure.getMessage());
            } else if (deleted > 0) {
                log.debug("deleted {} expired sessions", deleted);
            }
        }), 1, 60, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
