package dev.fastchat.client;

import java.time.Instant;

/**
 * A logged-in session.
 *
 * @param accountId the account's id on the server
 * @param username the canonical (case-folded) user name
 * @param resumeToken secret that logs in again without the password until {@code expiresAt}; store it like
 *     a password
 * @param expiresAt when the resume token stops working
 */
public record SessionInfo(long accountId, String username, String resumeToken, Instant expiresAt) {
    @Override
    public String toString() {
        return "SessionInfo[accountId=" + accountId + ", username=" + username + ", expiresAt=" + expiresAt + "]";
    }
}
