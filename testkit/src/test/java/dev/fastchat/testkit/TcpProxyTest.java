package dev.fastchat.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class TcpProxyTest {

    /**
     * A client that reconnects the moment its link is cut (as NATS's client does) must not get through: a connection
     * the proxy accepted while the cut was under way is closed too. Once a cut went through, and a test then waited in
     * vain for the cluster to notice.
     */
    @Test
    void noConnectionAcceptedDuringACutOutlivesIt() throws Exception {
        try (ServerSocket service = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                while (!service.isClosed()) {
                    try {
                        service.accept(); // kept open: only the proxy may end these
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            for (int round = 0; round < 30; round++) {
                List<Socket> connected = new CopyOnWriteArrayList<>();
                try (TcpProxy proxy = new TcpProxy("127.0.0.1", service.getLocalPort())) {
                    Thread reconnecting = Thread.ofPlatform().start(() -> {
                        for (int attempt = 0; attempt < 200; attempt++) {
                            try {
                                connected.add(new Socket(InetAddress.getLoopbackAddress(), proxy.port()));
                            } catch (IOException refused) {
                                return; // the cut went through: nothing is accepted any more
                            }
                        }
                    });
                    Thread.sleep(1);
                    proxy.cut();
                    reconnecting.join();
                    for (Socket socket : connected) {
                        assertThat(closedWithin(socket, 2_000)).as("a connection made through the proxy is cut").isTrue();
                    }
                } finally {
                    for (Socket socket : connected) {
                        socket.close();
                    }
                }
            }
        }
    }

    private static boolean closedWithin(Socket socket, int millis) throws IOException {
        socket.setSoTimeout(millis);
        try (InputStream in = socket.getInputStream()) {
            return in.read() < 0;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }
}
