package dev.fastchat.server.config;

/**
 * A host (name, IPv4 or IPv6 literal) and a port, written {@code host:port} or {@code [v6]:port}.
 *
 * @param host host name or address, without brackets
 * @param port 0 (any free port) to 65535
 */
public record HostAndPort(String host, int port) {
    public HostAndPort {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host is empty");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port " + port + " is not in 0..65535");
        }
    }

    /** Parses {@code host:port}, {@code [::1]:port}, or {@code :port} (meaning 127.0.0.1). */
    public static HostAndPort parse(String text) {
        String value = text.strip();
        int colon = value.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("'" + text + "' has no port: write HOST:PORT, for example 127.0.0.1:7420");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("'" + text + "': write IPv6 addresses in brackets, for example [::1]:7420");
        }
        if (host.isEmpty()) {
            host = "127.0.0.1";
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' has no valid port number");
        }
        return new HostAndPort(host, port);
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
