package dev.fastchat.server.file;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.fastchat.protocol.ConversationId;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.UploadChunk;
import dev.fastchat.protocol.v1.UploadDone;
import dev.fastchat.protocol.v1.UploadStart;
import dev.fastchat.protocol.v1.UploadState;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One account cannot fill the server's disk: its files count against {@code max-storage-bytes-per-account},
 * and a finished upload that no sent message shares within {@code upload-timeout} is removed (and stops
 * counting). Played by a client over a real socket.
 */
class FileQuotaTest {
    @TempDir
    Path dir;

    @Test
    void uploadsOverTheQuotaAreRefusedAndUnsharedOnesAreRemovedAfterTheTimeout() {
        try (TestServer server = TestServer.start(dir, Map.of("max-storage-bytes-per-account", "3000", "upload-timeout", "1s"));
             WireClient client = server.connect(); WireClient other = server.connect()) {
            client.hello();
            long me = client.register(WireClient.uniqueName("hoarder"), WireClient.random(32)).getSession().getAccountId();
            other.hello();
            long them = other.register(WireClient.uniqueName("friend"), WireClient.random(32)).getSession().getAccountId();
            String conversation = ConversationId.direct(me, them).value();

            UploadState first = start(client, conversation, 2000).getUploadState();
            assertThat(client.call(Envelope.newBuilder().setUploadChunk(UploadChunk.newBuilder().setFileId(first.getFileId())
                    .setIndex(0).setData(ByteString.copyFrom(new byte[2000 + 16])))).hasUploadState()).isTrue();
            assertThat(client.call(Envelope.newBuilder().setUploadDone(UploadDone.newBuilder().setFileId(first.getFileId())))
                    .getUploadState().getComplete()).isTrue();

            Envelope over = start(client, conversation, 2000);
            assertThat(over.getError().getCode()).isEqualTo(ErrorCode.QUOTA_EXCEEDED);
            assertThat(over.getError().getReason()).contains("3000");
            assertThat(start(client, conversation, 1000).hasUploadState()).as("what still fits").isTrue();

            // The finished file was never shared in a message: it goes after the timeout, and room comes back.
            Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                    .until(() -> server.server().database().files().find(first.getFileId()).isEmpty());
            assertThat(start(client, conversation, 1900).hasUploadState()).isTrue();
        }
    }

    private static Envelope start(WireClient client, String conversation, long size) {
        return client.call(Envelope.newBuilder().setUploadStart(UploadStart.newBuilder().setConversationId(conversation).setSize(size)));
    }
}
