package dev.fastchat.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.protocol.ProtocolVersion;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.GetKdfParams;
import dev.fastchat.protocol.v1.Hello;
import dev.fastchat.protocol.v1.Logout;
import dev.fastchat.protocol.v1.Ping;
import dev.fastchat.protocol.v1.Welcome;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server's handling of the wire protocol, good and bad, over real sockets. */
class ProtocolHandlingTest {
    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir, Map.of("max-frame-bytes", "8192", "node-id", "test-node"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void helloIsAnsweredWithWelcomeCarryingVersionNodeAndLimits() {
        try (WireClient client = server.connect()) {
            Envelope response = client.hello();
            assertThat(response.getBodyCase()).isEqualTo(Envelope.BodyCase.WELCOME);
            Welcome welcome = response.getWelcome();
            assertThat(welcome.getNodeId()).isEqualTo("test-node");
            assertThat(welcome.getServerId()).hasSize(32).isEqualTo(server.server().serverId());
            assertThat(welcome.getLimits().getMaxFrameBytes()).isEqualTo(8192);
            assertThat(welcome.getLimits().getIdleTimeoutSeconds()).isEqualTo(60);
        }
    }

    @Test
    void wrongProtocolVersionGetsUnsupportedVersionAndTheConnectionCloses() {
        try (WireClient client = server.connect()) {
            Envelope response = client.call(Envelope.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(ProtocolVersion.CURRENT + 1)));
            assertThat(response.getError().getCode()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
            assertThat(response.getError().getReason()).contains("protocol version " + ProtocolVersion.CURRENT);
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void requestsBeforeHelloAreRefusedAndTheConnectionStaysUsable() {
        try (WireClient client = server.connect()) {
            Envelope early = client.call(Envelope.newBuilder().setGetKdfParams(GetKdfParams.newBuilder().setUsername("alice")));
            assertThat(early.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(early.getError().getReason()).contains("Hello");
            Envelope login = client.login("alice", WireClient.random(32));
            assertThat(login.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(client.hello().hasWelcome()).isTrue();
        }
    }

    @Test
    void logoutBeforeLoginIsUnauthenticated() {
        try (WireClient client = server.connect()) {
            client.hello();
            Envelope response = client.call(Envelope.newBuilder().setLogout(Logout.getDefaultInstance()));
            assertThat(response.getError().getCode()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        }
    }

    @Test
    void pingIsAnsweredWithPongEvenBeforeHello() {
        try (WireClient client = server.connect()) {
            Envelope response = client.call(Envelope.newBuilder().setPing(Ping.getDefaultInstance()));
            assertThat(response.hasPong()).isTrue();
        }
    }

    @Test
    void oversizedFrameClosesConnectionWithTooLarge() {
        try (WireClient client = server.connect()) {
            client.hello();
            client.sendRaw(ByteBuffer.allocate(4).putInt(8193).array());
            Envelope error = client.read();
            assertThat(error.getRequestId()).isZero();
            assertThat(error.getError().getCode()).isEqualTo(ErrorCode.TOO_LARGE);
            assertThat(error.getError().getReason()).contains("8192");
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void hugeLengthPrefixIsRefusedWithoutBuffering() {
        try (WireClient client = server.connect()) {
            client.sendRaw(new byte[] {(byte) 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2, 3});
            assertThat(client.read().getError().getCode()).isEqualTo(ErrorCode.TOO_LARGE);
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void garbageBytesCloseTheConnectionWithBadRequest() {
        try (WireClient client = server.connect()) {
            byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f};
            client.sendRaw(ByteBuffer.allocate(4 + garbage.length).putInt(garbage.length).put(garbage).array());
            Envelope error = client.read();
            assertThat(error.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(error.getError().getReason()).contains("malformed");
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void frameSplitIntoManySmallWritesIsServed() {
        try (WireClient client = server.connect()) {
            byte[] body = Envelope.newBuilder().setRequestId(42)
                    .setHello(Hello.newBuilder().setProtocolVersion(ProtocolVersion.CURRENT).setClient("slow")).build().toByteArray();
            byte[] frame = ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
            for (byte b : frame) {
                client.sendRaw(new byte[] {b});
            }
            Envelope response = client.read();
            assertThat(response.getRequestId()).isEqualTo(42);
            assertThat(response.hasWelcome()).isTrue();
        }
    }

    @Test
    void unknownMessageTypeGetsBadRequestAndTheConnectionStaysOpen() {
        try (WireClient client = server.connect()) {
            client.hello();
            byte[] unknown = {0x08, 0x09, (byte) 0xBA, 0x3E, 0x00}; // request_id 9, field 999 (empty message)
            client.sendRaw(ByteBuffer.allocate(4 + unknown.length).putInt(unknown.length).put(unknown).array());
            Envelope response = client.read();
            assertThat(response.getRequestId()).isEqualTo(9);
            assertThat(response.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(client.call(Envelope.newBuilder().setPing(Ping.getDefaultInstance())).hasPong()).isTrue();
        }
    }

    @Test
    void aServerMessageSentByAClientIsABadRequest() {
        try (WireClient client = server.connect()) {
            client.hello();
            Envelope response = client.call(Envelope.newBuilder().setWelcome(Welcome.getDefaultInstance()));
            assertThat(response.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(response.getError().getReason()).contains("welcome");
        }
    }

    @Test
    void clientThatVanishesMidFrameOrMidRequestLeavesTheServerServing() {
        for (int i = 0; i < 20; i++) {
            try (WireClient client = server.connect()) {
                client.hello();
                client.register(WireClient.uniqueName("gone"), WireClient.random(32));
            }
            try (WireClient client = server.connect()) {
                byte[] body = Envelope.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1)).build().toByteArray();
                client.sendRaw(ByteBuffer.allocate(4 + body.length - 1).putInt(body.length).put(body, 0, body.length - 1).array());
            }
        }
        try (WireClient client = server.connect()) {
            client.hello();
            // A request sent and abandoned without reading its answer.
            client.send(Envelope.newBuilder().setRequestId(99)
                    .setGetKdfParams(GetKdfParams.newBuilder().setUsername("xyz")).build());
        }
        try (WireClient client = server.connect()) {
            assertThat(client.hello().hasWelcome()).isTrue();
        }
    }
}
