package dev.fastchat.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TcpProxyTest {

    /**
     * A client that reconnects the moment its link is cut (as NATS's client does) must not get a working link through
     * the cut: a connection the proxy accepted while the cut was under way is closed too. Once one got through, and a
     * test then waited in vain for the cluster to notice. (A connection the kernel completed but the proxy never
     * accepted may stay half open: it carries nothing, as a dead link.)
     */
    @Test
    void noConnectionMadeDuringACutCarriesAnythingAfterIt() throws Exception {
        try (ServerSocket service = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                while (!service.isClosed()) {
                    try {
                        Socket accepted = service.accept();
                        Thread.ofVirtual().start(() -> echo(accepted));
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            for (int round = 0; round < 30; round++) {
                List<Socket> connected = new CopyOnWriteArrayList<>();
                CountDownLatch reconnectingNow = new CountDownLatch(1);
                try (TcpProxy proxy = new TcpProxy("127.0.0.1", service.getLocalPort())) {
                    Thread reconnecting = Thread.ofPlatform().start(() -> {
                        for (int attempt = 0; attempt < 200; attempt++) {
                            try {
                                connected.add(new Socket(InetAddress.getLoopbackAddress(), proxy.port()));
                                reconnectingNow.countDown();
                            } catch (IOException refused) {
                                return; // the cut went through: nothing is accepted any more
                            }
                        }
                    });
                    assertThat(reconnectingNow.await(5, TimeUnit.SECONDS)).as("a first connection through the proxy").isTrue();
                    proxy.cut();
                    reconnecting.join();
                    for (Socket socket : connected) {
                        assertThat(echoes(socket)).as("a link through the proxy still works after the cut").isFalse();
                    }
                } finally {
                    for (Socket socket : connected) {
                        socket.close();
                    }
                }
            }
        }
    }

    private static void echo(Socket socket) {
        try (socket; InputStream in = socket.getInputStream(); java.io.OutputStream out = socket.getOutputStream()) {
            for (int b; (b = in.read()) >= 0; ) {
                out.write(b);
                out.flush();
            }
        } catch (IOException gone) {
            // the proxy closed it
        }
    }

    /** Whether a byte written on {@code socket} comes back from the service within 300 ms. */
    private static boolean echoes(Socket socket) {
        try {
            socket.setSoTimeout(300);
            socket.getOutputStream().write(7);
            return socket.getInputStream().read() == 7;
        } catch (IOException closedOrSilent) {
            return false;
        }
    }
}
