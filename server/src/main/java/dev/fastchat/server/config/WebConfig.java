package dev.fastchat.server.config;

import java.util.Optional;

/**
 * The web client: its files over HTTPS and the protocol over a WebSocket ({@code /ws}), served on the client port
 * (the server tells a browser from a native client by the first bytes of the connection).
 *
 * @param enabled whether the client port (and {@code extraListen}) serve the web client; off, they speak the native
 *     protocol only
 * @param extraListen another address serving the same (the web client and native clients alike), such as 0.0.0.0:443
 */
public record WebConfig(boolean enabled, Optional<HostAndPort> extraListen) {}
