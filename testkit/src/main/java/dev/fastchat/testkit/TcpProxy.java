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
    private volatile Thread acceptor;
    private final int port;
    /** While true, what the service sends is read but not passed on (and dropped by a cut): a lost reply. */
    private volatile boolean holdingReplies;
    /** While true, what clients send is read but not passed on (and dropped by a cut): requests lost on the way. */
    private volatile boolean holdingRequests;
    /** What clients sent while {@link #holdingRequests}, for a test to look at. */
    private final java.io.ByteArrayOutputStream heldRequests = new java.io.ByteArrayOutputStream();
    /** Between {@link #cut()} and {@link #restore()}: a connection accepted then (it raced the cut) is closed at once. */
    private volatile boolean isCut;

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
        isCut = true;
        server.close();
        // The accept loop runs on a virtual thread: the listener's descriptor is closed only once that thread leaves
        // accept(), and until then the kernel still completes connections. Wait for it, so that none is left after.
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Socket socket : sockets) {
            reset(socket);
        }
        sockets.clear();
    }

    /**
     * Closes with a reset, as a dead link gives: an orderly close would leave the proxy's side in FIN_WAIT until the
     * peer closes too, and the port could not be bound again by {@link #restore()}.
     */
    private static void reset(Socket socket) throws IOException {
        try {
            socket.setSoLinger(true, 0);
        } catch (java.net.SocketException alreadyClosed) {
            // its other side closed it first
        }
        socket.close();
    }

    /**
     * Stops passing on what the service sends (until {@link #restore()}): requests still reach it, and its
     * replies wait in the proxy, as they do on a link that died one way. A {@link #cut()} drops them.
     */
    public void holdReplies() {
        holdingReplies = true;
    }

    /**
     * Stops passing on what clients send (until {@link #restore()}): it waits in the proxy, as on a link that died the
     * other way, and a {@link #cut()} drops it. {@link #heldRequests()} shows it.
     */
    public void holdRequests() {
        synchronized (heldRequests) {
            heldRequests.reset();
        }
        holdingRequests = true;
    }

    /** The bytes clients sent since {@link #holdRequests()}, held and not passed on. */
    public byte[] heldRequests() {
        synchronized (heldRequests) {
            return heldRequests.toByteArray();
        }
    }

    /** Accepts connections again on the same port, and passes replies and requests on again. */
    public synchronized void restore() throws IOException {
        holdingReplies = false;
        holdingRequests = false;
        isCut = false;
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
        acceptor = Thread.ofVirtual().name("proxy-accept-" + localPort).start(() -> acceptLoop(socket));
        return socket;
    }

    private void acceptLoop(ServerSocket listener) {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                if (isCut) {
                    reset(client);
                    continue;
                }
                Socket upstream = new Socket();
                try {
                    upstream.connect(target, 2_000);
                } catch (IOException e) {
                    client.close();
                    continue;
                }
                sockets.add(client);
                sockets.add(upstream);
                if (isCut) { // cut while this one was being set up: it goes as the others did
                    closeQuietly(client);
                    closeQuietly(upstream);
                    continue;
                }
                pump(client, upstream, false);
                pump(upstream, client, true);
            } catch (IOException e) {
                return; // listener closed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean replies) {
        Thread.ofVirtual().start(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                java.io.ByteArrayOutputStream held = new java.io.ByteArrayOutputStream();
                byte[] buffer = new byte[8192];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    if (replies ? holdingReplies : holdingRequests) {
                        held.write(buffer, 0, n);
                        if (!replies) {
                            synchronized (heldRequests) {
                                heldRequests.write(buffer, 0, n);
                            }
                        }
                        continue;
                    }
                    held.writeTo(out);
                    held.reset();
                    out.write(buffer, 0, n);
                    out.flush();
                }
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
