package dev.fastchat.storage;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Log-in sessions keyed by the hash of their resume token. */
public interface SessionRepository {

    /** Stores a session; durable when the future completes. */
    CompletableFuture<Void> create(StoredSession session);

    /** The session with this token hash, if it exists and has not expired at {@code now}. */
    Optional<StoredSession> findValid(byte[] tokenHash, Instant now);

    /** Deletes a session; completes with whether it existed. */
    CompletableFuture<Boolean> delete(byte[] tokenHash);

    /** Deletes the session with this token hash if it belongs to {@code accountId}; completes with whether it existed. */
    CompletableFuture<Boolean> delete(byte[] tokenHash, long accountId);

    /** Deletes every session of an account; completes with how many. */
    CompletableFuture<Integer> deleteAll(long accountId);

    /** Records that a connection logged in with this session now, from {@code address}. */
    CompletableFuture<Void> touch(byte[] tokenHash, Instant now, String address);

    /** The account's sessions that have not expired, oldest first. */
    java.util.List<SessionSummary> list(long accountId, Instant now);

    /** Deletes every session that expired before {@code now}; completes with how many. */
    CompletableFuture<Integer> deleteExpired(Instant now);
}
