package dev.fastchat.server.config;

import java.time.Duration;

/**
 * Per-connection limits.
 *
 * @param maxFrameBytes largest frame a client may send; larger closes the connection with TOO_LARGE
 * @param idleTimeout a connection that sends nothing for this long is closed
 * @param maxInflightRequests requests of one connection being served at once; more get RATE_LIMITED
 * @param trustedProxies IP addresses of load balancers whose connections start with a PROXY protocol header
 */
public record LimitsConfig(int maxFrameBytes, Duration idleTimeout, int maxInflightRequests, java.util.Set<String> trustedProxies) {}
