package dev.fastchat.storage;

import java.time.Instant;

/**
 * A log-in session, found by the hash of its resume token.
 *
 * @param tokenHash SHA-256 of the resume token
 * @param accountId whose session it is
 * @param device a label the client chose
 * @param createdAt when the session began
 * @param expiresAt when the token stops working
 */
public record StoredSession(byte[] tokenHash, long accountId, String device, Instant createdAt, Instant expiresAt) {}
