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
 */
public record ServerInfo(String serverVersion, String nodeId, String serverId, int maxFrameBytes, Duration idleTimeout) {}
