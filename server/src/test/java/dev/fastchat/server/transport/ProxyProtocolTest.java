package dev.fastchat.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ListSessions;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A load balancer at a trusted address (127.0.0.1 here) sends a PROXY protocol header first, and the server
 * sees the client it names (in the list of sessions, the throttle, the logs); a client elsewhere (127.0.0.2)
 * cannot claim another address that way: its header is a malformed frame.
 */
class ProxyProtocolTest {
    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir, Map.of("trusted-proxies", "127.0.0.1"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aVersionOneHeaderFromATrustedProxyGivesTheClientsAddress() {
        try (WireClient client = server.connect()) {
            client.sendRaw("PROXY TCP4 203.0.113.7 127.0.0.1 51234 7420\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(addressSeenBy(client)).isEqualTo("203.0.113.7");
        }
    }

    @Test
    void aVersionTwoHeaderFromATrustedProxyGivesTheClientsAddress() {
        try (WireClient client = server.connect()) {
            client.sendRaw(ByteBuffer.allocate(28)
                    .put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A})
                    .put((byte) 0x21) // version 2, PROXY
                    .put((byte) 0x11) // TCP over IPv4
                    .putShort((short) 12)
                    .put(new byte[] {(byte) 198, 51, 100, 23}).put(new byte[] {127, 0, 0, 1})
                    .putShort((short) 40000).putShort((short) 7420)
                    .array());
            assertThat(addressSeenBy(client)).isEqualTo("198.51.100.23");
        }
    }

    @Test
    void withoutAHeaderATrustedProxysOwnAddressIsKept() {
        try (WireClient client = server.connect()) {
            client.sendRaw("PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(addressSeenBy(client)).isEqualTo("127.0.0.1");
        }
    }

    @Test
    void anUntrustedPeerCannotClaimAnotherAddress() {
        try (WireClient client = WireClient.connectFrom(server.address(), "127.0.0.2")) {
            client.sendRaw("PROXY TCP4 203.0.113.7 127.0.0.1 51234 7420\r\n".getBytes(StandardCharsets.US_ASCII));
            // Taken for an HTTP request (the web client shares the port), with a bad request line: refused, closed.
            assertThat(new String(client.readUntilClosed(), StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 400 Bad Request");
        }
    }

    /** Says Hello, registers, and returns the address the server noted for the session. */
    private static String addressSeenBy(WireClient client) {
        client.hello();
        assertThat(client.register(WireClient.uniqueName("proxied"), WireClient.random(32)).hasSession()).isTrue();
        return client.call(Envelope.newBuilder().setListSessions(ListSessions.getDefaultInstance())).getSessionList()
                .getSessions(0).getAddress();
    }
}
