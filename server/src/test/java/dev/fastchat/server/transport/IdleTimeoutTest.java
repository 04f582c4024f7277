package dev.fastchat.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.Ping;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdleTimeoutTest {
    @TempDir
    Path dir;

    @Test
    void silentConnectionIsClosedAfterTheIdleTimeoutWithAReason() {
        try (TestServer server = TestServer.start(dir, Map.of("idle-timeout", "1s"));
             WireClient client = server.connect()) {
            client.hello();
            Envelope notice = client.read(); // blocks until the server gives up on us
            assertThat(notice.getRequestId()).isZero();
            assertThat(notice.getError().getCode()).isEqualTo(ErrorCode.UNAVAILABLE);
            assertThat(notice.getError().getReason()).contains("no data for 1 s");
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void pingsKeepAConnectionOpenPastTheIdleTimeout() {
        try (TestServer server = TestServer.start(dir, Map.of("idle-timeout", "1s"));
             WireClient client = server.connect()) {
            client.hello();
            long end = System.nanoTime() + 2_500_000_000L;
            while (System.nanoTime() < end) {
                // Each answer arrives at once; the gap between pings is the wait for the next answer (< 1 s).
                assertThat(client.call(Envelope.newBuilder().setPing(Ping.getDefaultInstance())).hasPong()).isTrue();
                assertThat(client.readWithin(300)).isEmpty();
            }
            assertThat(client.call(Envelope.newBuilder().setPing(Ping.getDefaultInstance())).hasPong()).isTrue();
        }
    }
}
