package dev.fastchat.storage;

import java.time.Instant;

/**
 * A session as its user sees it in their list of sessions (devices).
 *
 * @param tokenHash SHA-256 of its resume token (never the token)
 * @param device the label its client chose
 * @param createdAt when it began
 * @param lastSeenAt when it last logged a connection in (its start, if never since)
 * @param lastAddress the address it last logged in from ("" if unknown)
 * @param expiresAt when its token stops working
 */
public record SessionSummary(byte[] tokenHash, String device, Instant createdAt, Instant lastSeenAt, String lastAddress,
                             Instant expiresAt) {}
