package dev.fastchat.client;

import java.time.Duration;

/**
 * What the server said about itself when the connection was made.
 *
 * @param serverVersion the server's version
 * @param nodeId the node this client is connected to
 * @param serverId the installation's id (part of the password salt)
 * @param maxFrameBytes the largest frame the server accepts
 * @param idleTimeout the server closes connections silent for this long; the client pings well before
 * @param maxInflightRequests requests of one connection the server accepts at once (0: not said); the client
 *     keeps fewer unanswered and queues the rest
 * @param certificateFingerprint the SHA-256 fingerprint of the server's TLS certificate ({@code SHA256:...}),
 *     empty over plain TCP
 * @param certificatePinnedNow whether this was the first connection to this server, so its certificate was
 *     pinned just now (show the fingerprint to the user, as SSH does, to compare with the operator's)
 */
public record ServerInfo(String serverVersion, String nodeId, String serverId, int maxFrameBytes, Duration idleTimeout,
                         int maxInflightRequests, String certificateFingerprint, boolean certificatePinnedNow) {}
