package dev.fastchat.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP proxy to a real service that a test can cut and restore, to simulate the service going
 * away (connections reset, new ones refused) and coming back. Listens on an ephemeral port.
 */
public final class TcpProxy implements AutoCloseable {
    private final InetSocketAddress target;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket server;
    private final int port;

    /** Starts forwarding an ephemeral loopback port to {@code host:port}. */
    public TcpProxy(String host, int port) throws IOException {
        this.target = new InetSocketAddress(host, port);
        this.server = listen(0);
        this.port = server.getLocalPort();
    }

    /** The port clients connect to. */
    public int port() {
        return port;
    }

    /** Closes every proxied connection and refuses new ones until {@link #restore()}. */
    public synchronized void cut() throws IOException {
        server.close();
        for (Socket socket : sockets) {
            // A reset, as a dead link gives: an orderly close would leave the proxy's side in FIN_WAIT until
            // the peer closes too, and the port could not be bound again by restore().
            try {
                socket.setSoLinger(true, 0);
            } catch (java.net.SocketException alreadyClosed) {
                // its other side closed it first
            }
            socket.close();
        }
        sockets.clear();
    }

    /** Accepts connections again on the same port. */
    public synchronized void restore() throws IOException {
        if (server.isClosed()) {
            // The kernel may hold the port for a moment after the cut connections are gone: retry briefly.
            for (int attempt = 1; ; attempt++) {
                try {
                    server = listen(port);
                    return;
                } catch (java.net.BindException busy) {
                    if (attempt == 50) {
                        throw busy;
                    }
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw busy;
                    }
                }
            }
        }
    }

    @Override
    public synchronized void close() throws IOException {
        cut();
    }

    private ServerSocket listen(int localPort) throws IOException {
        ServerSocket socket = new ServerSocket();
        try {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), localPort));
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        Thread.ofVirtual().name("proxy-accept-" + localPort).start(() -> acceptLoop(socket));
        return socket;
    }

    private void acceptLoop(ServerSocket listener) {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket upstream = new Socket();
                try {
                    upstream.connect(target, 2_000);
                } catch (IOException e) {
                    client.close();
                    continue;
                }
                sockets.add(client);
                sockets.add(upstream);
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                return; // listener closed
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread.ofVirtual().start(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException ignored) {
                // one side closed or was cut
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        });
    }

    private void closeQuietly(Socket socket) {
        sockets.remove(socket);
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
