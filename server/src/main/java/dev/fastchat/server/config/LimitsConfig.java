package dev.fastchat.server.config;

import java.time.Duration;
import java.util.Set;

/**
 * What one peer may hold of the server: connections, frames, time to log in, and replies it has not read.
 *
 * @param maxFrameBytes largest frame a logged-in client may send; larger closes the connection with TOO_LARGE
 * @param maxLoginFrameBytes largest frame before log-in (Hello, Register and Login are small)
 * @param idleTimeout a connection that sends nothing for this long is closed
 * @param loginTimeout a connection not logged in this long after it opened is closed
 * @param maxInflightRequests requests of one connection accepted at once; more wait unread in its socket
 * @param trustedProxies IP addresses of load balancers whose connections start with a PROXY protocol header
 * @param maxConnections open client connections in all; more are refused at once
 * @param maxConnectionsPerAddress open client connections from one address; more are refused at once
 * @param exemptAddresses addresses the per-address limits (connections, registrations) do not apply to
 * @param writeBufferLowBytes replies queued for a client below which a paused client is read again
 * @param writeBufferHighBytes replies queued for a client above which it is paused (its requests not read)
 * @param socketSendBufferBytes the kernel's send buffer of a client connection, 0 to leave it to the kernel's
 *     autotuning: fixed, so that clients that do not read hold at most this much of the kernel's socket memory
 *     each (autotuned, up to {@code net.ipv4.tcp_wmem}'s maximum, 4 MiB: 500 of them put every connection of the
 *     host under TCP memory pressure, where its segments are dropped and wait for retransmission)
 * @param slowReaderTimeout a client paused this long without reading is closed
 * @param maxQueuedBytes replies queued for all clients together above which paused clients are closed
 * @param maxInflightBytes requests being served for all clients together above which no client is read until the node
 *     is under three quarters of it
 */
public record LimitsConfig(int maxFrameBytes, int maxLoginFrameBytes, Duration idleTimeout, Duration loginTimeout,
                           int maxInflightRequests, Set<String> trustedProxies, int maxConnections,
                           int maxConnectionsPerAddress, Set<String> exemptAddresses, int writeBufferLowBytes,
                           int writeBufferHighBytes, int socketSendBufferBytes, Duration slowReaderTimeout, long maxQueuedBytes,
                           long maxInflightBytes) {

    /** Whether the per-address limits apply to {@code address}. */
    public boolean limitsAddress(String address) {
        return !exemptAddresses.contains(address);
    }
}
