package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static dev.fastchat.client.ChatClientTest.codeOf;
import static dev.fastchat.client.ChatFixture.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.fastchat.client.ChatFixture.User;
import dev.fastchat.crypto.FileCipher;
import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.crypto.KdfParams;
import dev.fastchat.crypto.MessageSealer;
import dev.fastchat.protocol.ConversationId;
import dev.fastchat.protocol.v1.Content;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.FileReference;
import dev.fastchat.protocol.v1.Send;
import dev.fastchat.protocol.v1.UploadChunk;
import dev.fastchat.protocol.v1.UploadDone;
import dev.fastchat.protocol.v1.UploadStart;
import dev.fastchat.protocol.v1.UploadState;
import dev.fastchat.server.testing.WireClient;
import dev.fastchat.testkit.TcpProxy;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Encrypted files through the client library and a real server, and what the server does with bad uploads. */
class FilesTest {
    /** A small server-side limit and chunk size, so that limits and resumption are cheap to reach. */
    static final int LIMIT = 600 * 1024;
    static final int CHUNK = 8 * 1024;

    @RegisterExtension
    static final ChatFixture chats = new ChatFixture(Map.of("max-file-bytes", Integer.toString(LIMIT), "file-chunk-bytes", Integer.toString(CHUNK),
                "upload-timeout", "3s"));
    final SecureRandom random = new SecureRandom();

    private Path file(String name, int size) throws Exception {
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        Path folder = Files.createTempDirectory(chats.dir(), "out");
        return Files.write(folder.resolve(name), bytes);
    }

    @Test
    void filesOfAnySizeArriveIntactAndTwoWithTheSameNameAreBothKept() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob")) {
            Path big = file("report.bin", LIMIT); // exactly the limit: many chunks
            Path other = file("report.bin", 5);
            Path empty = file("empty.txt", 0);
            await(alice.client().files().send(Target.user(bob.name()), big));
            await(alice.client().files().send(Target.user(bob.name()), other));
            await(alice.client().files().send(Target.user(bob.name()), empty));
            eventually(() -> assertThat(bob.events().messages).hasSize(3));
            List<SharedFile> shared = bob.events().messages.stream().map(ChatMessage::file).toList();
            assertThat(shared).extracting(SharedFile::name).containsExactly("report.bin", "report.bin", "empty.txt");
            assertThat(shared).extracting(SharedFile::size).containsExactly((long) LIMIT, 5L, 0L);

            Path downloads = chats.dir().resolve("bob-downloads");
            Path first = await(bob.client().files().fetch(shared.get(0).fileId(), downloads));
            Path second = await(bob.client().files().fetch(shared.get(1).fileId(), downloads));
            Path third = await(bob.client().files().fetch(shared.get(2).fileId(), downloads));
            assertThat(first.getFileName()).hasToString("report.bin");
            assertThat(second.getFileName()).hasToString("report (1).bin");
            assertThat(Files.readAllBytes(first)).isEqualTo(Files.readAllBytes(big));
            assertThat(Files.readAllBytes(second)).isEqualTo(Files.readAllBytes(other));
            assertThat(third).isEmptyFile();
            try (var listing = Files.list(downloads)) {
                assertThat(listing.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("report.bin", "report (1).bin", "empty.txt");
            }
            // A new device of bob's finds the key through the message that shared the file.
            try (User bobPhone = chats.login(bob.name(), "phone")) {
                Path again = await(bobPhone.client().files().fetch(shared.get(0).fileId(), chats.dir().resolve("phone")));
                assertThat(Files.readAllBytes(again)).isEqualTo(Files.readAllBytes(big));
            }
        }
    }

    @Test
    void imagesCarryTheirTypeAndSize() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob")) {
            Path png = Files.createTempDirectory(chats.dir(), "img").resolve("cat.png");
            ImageIO.write(new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB), "png", png.toFile());
            await(alice.client().files().send(Target.user(bob.name()), png));
            eventually(() -> assertThat(bob.events().messages).hasSize(1));
            SharedFile file = bob.events().messages.getFirst().file();
            assertThat(file.mediaType()).isEqualTo("image/png");
            assertThat(file.image()).isTrue();
            assertThat(List.of(file.width(), file.height())).containsExactly(64, 48);
        }
    }

    @Test
    void onlyMembersDownloadAndAFileOverTheLimitIsRefusedAtOnce() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob"); User eve = chats.register("eve")) {
            ChatGroup team = await(alice.client().groups().create(WireClient.uniqueName("team")));
            await(alice.client().groups().add(team.name(), bob.name()));
            await(bob.client().invitations().accept(team.name()));
            await(alice.client().files().send(Target.group(team.name()), file("plan.txt", 1000)));
            eventually(() -> assertThat(bob.events().messages).hasSize(1));
            String fileId = bob.events().messages.getFirst().file().fileId();
            assertThat(codeOf(eve.client().files().fetch(fileId, chats.dir().resolve("eve")))).isEqualTo(ErrorCode.UNKNOWN_FILE);
            assertThat(chats.dir().resolve("eve")).doesNotExist();
            await(alice.client().groups().remove(team.name(), bob.name()));
            assertThat(codeOf(bob.client().files().fetch(fileId, chats.dir().resolve("bob-after")))).isEqualTo(ErrorCode.UNKNOWN_FILE);

            assertThat(codeOf(alice.client().files().send(Target.group(team.name()), file("huge.bin", LIMIT + 1)))).isEqualTo(ErrorCode.TOO_LARGE);
            assertThat(codeOf(alice.client().files().send(Target.group(team.name()), chats.dir().resolve("no-such-file")))).isEqualTo(ErrorCode.BAD_REQUEST);
        }
    }

    @Test
    void theServerRefusesChunksOutOfOrderAndUploadsThatOutgrowTheirSizeLeavingNothingBehind() throws Exception {
        try (User alice = chats.register("alice"); WireClient raw = WireClient.connect(chats.server().address())) {
            raw.hello();
            long rawId = raw.register(WireClient.uniqueName("raw"), WireClient.random(32)).getSession().getAccountId();
            String conversation = ConversationId.direct(rawId, alice.client().session().orElseThrow().accountId()).value();

            UploadState state = start(raw, conversation, 3 * CHUNK);
            Envelope skipped = raw.call(chunk(state.getFileId(), 1, new byte[CHUNK + 16]));
            assertThat(skipped.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(skipped.getError().getReason()).contains("expected chunk 0");
            assertThat(raw.call(Envelope.newBuilder().setUploadDone(UploadDone.newBuilder().setFileId(state.getFileId())))
                    .getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST); // not all chunks are there

            UploadState small = start(raw, conversation, 10);
            Envelope oversized = raw.call(chunk(small.getFileId(), 0, new byte[CHUNK + 16]));
            assertThat(oversized.getError().getCode()).isEqualTo(ErrorCode.TOO_LARGE);
            eventually(() -> assertThat(chats.server().server().database().files().find(small.getFileId())).isEmpty());

            Envelope tooBig = raw.call(Envelope.newBuilder().setUploadStart(UploadStart.newBuilder()
                    .setConversationId(conversation).setSize(LIMIT + 1)));
            assertThat(tooBig.getError().getCode()).isEqualTo(ErrorCode.TOO_LARGE);
            Envelope stranger = raw.call(Envelope.newBuilder().setUploadStart(UploadStart.newBuilder()
                    .setConversationId(ConversationId.direct(999_998, 999_999).value()).setSize(1)));
            assertThat(stranger.getError().getCode()).isEqualTo(ErrorCode.NOT_A_MEMBER);
        }
    }

    @Test
    void anUploadAbandonedMidwayIsRemovedAfterTheTimeout() throws Exception {
        try (User alice = chats.register("alice")) {
            String fileId;
            try (WireClient raw = WireClient.connect(chats.server().address())) {
                raw.hello();
                long rawId = raw.register(WireClient.uniqueName("raw"), WireClient.random(32)).getSession().getAccountId();
                String conversation = ConversationId.direct(rawId, alice.client().session().orElseThrow().accountId()).value();
                UploadState state = start(raw, conversation, 3 * CHUNK);
                fileId = state.getFileId();
                assertThat(raw.call(chunk(fileId, 0, new byte[CHUNK + 16])).getUploadState().getNextChunk()).isEqualTo(1);
                raw.abort(); // gone mid-upload
            }
            assertThat(chats.server().server().database().files().find(fileId)).isPresent();
            eventually(() -> assertThat(chats.server().server().database().files().find(fileId)).isEmpty());
            assertThat(chats.server().server().database().files().chunk(fileId, 0)).isEmpty();
        }
    }

    @Test
    void aTamperedChunkOrAChunkReplayedFromAnotherFileIsDetectedAndNothingIsSaved() throws Exception {
        try (User alice = chats.register("alice"); WireClient mallory = WireClient.connect(chats.server().address())) {
            IdentityKeyPair keys = IdentityKeyPair.generate(random);
            mallory.hello();
            String malloryName = WireClient.uniqueName("mallory");
            long malloryId = mallory.register(malloryName, WireClient.random(32), keys.publicIdentity().x25519(),
                    keys.publicIdentity().ed25519()).getSession().getAccountId();
            long aliceId = alice.client().session().orElseThrow().accountId();
            String conversation = ConversationId.direct(malloryId, aliceId).value();
            List<MessageSealer.Recipient> recipients = List.of(
                    new MessageSealer.Recipient(aliceId, 1, alice.client().identity().orElseThrow().publicIdentity().x25519()),
                    new MessageSealer.Recipient(malloryId, 1, keys.publicIdentity().x25519()));

            byte[] plain = new byte[CHUNK];
            random.nextBytes(plain);
            byte[] key = FileCipher.newKey(random);
            UploadState first = start(mallory, conversation, CHUNK);
            byte[] firstChunk = FileCipher.encrypt(key, first.getFileId(), 0, 1, plain, plain.length);
            upload(mallory, first.getFileId(), firstChunk);
            UploadState replayed = start(mallory, conversation, CHUNK);
            upload(mallory, replayed.getFileId(), firstChunk); // the other file's chunk
            UploadState tampered = start(mallory, conversation, CHUNK);
            byte[] altered = FileCipher.encrypt(key, tampered.getFileId(), 0, 1, plain, plain.length);
            altered[100] ^= 1;
            upload(mallory, tampered.getFileId(), altered);

            byte[] sha = MessageDigest.getInstance("SHA-256").digest(plain);
            int n = 0;
            for (UploadState file : List.of(first, replayed, tampered)) {
                FileReference reference = FileReference.newBuilder().setFileId(file.getFileId()).setName("f" + n + ".bin")
                        .setSize(CHUNK).setMediaType("application/octet-stream").setKey(ByteString.copyFrom(key))
                        .setSha256(ByteString.copyFrom(sha)).build();
                String clientMsgId = "file-" + n++;
                byte[] sealed = MessageSealer.seal(new MessageSealer.Sender(malloryId, 1, keys), conversation, clientMsgId,
                        Instant.now(), Content.newBuilder().setFile(reference).build(), recipients, random);
                assertThat(mallory.call(Envelope.newBuilder().setSend(Send.newBuilder().setConversationId(conversation)
                        .setClientMsgId(clientMsgId).setSealed(ByteString.copyFrom(sealed)).addFileIds(file.getFileId())))
                        .hasSendAck()).isTrue();
            }
            eventually(() -> assertThat(alice.events().messages).hasSize(3));
            Path downloads = chats.dir().resolve("alice-" + malloryName);
            assertThat(Files.readAllBytes(await(alice.client().files().fetch(first.getFileId(), downloads)))).isEqualTo(plain);
            for (UploadState bad : List.of(replayed, tampered)) {
                CompletableFuture<Path> fetch = alice.client().files().fetch(bad.getFileId(), downloads);
                assertThat(codeOf(fetch)).isEqualTo(ErrorCode.BAD_REQUEST);
            }
            try (var listing = Files.list(downloads)) {
                assertThat(listing.map(p -> p.getFileName().toString())).containsExactly("f0.bin"); // nothing else, no leftovers
            }
        }
    }

    @Test
    void anUploadCutByTheNetworkResumesFromTheLastAcknowledgedChunk() throws Exception {
        try (User bob = chats.register("bob"); User aliceSetup = chats.register("alice");
             TcpProxy proxy = new TcpProxy("127.0.0.1", chats.server().port())) {
            aliceSetup.close();
            try (ChatClient alice = ChatClient.builder().insecurePlaintext(true).server("127.0.0.1", proxy.port()).registrationKdf(KdfParams.INSECURE_FOR_TESTS)
                    .keyStoreDirectory(chats.dir().resolve("keys-" + aliceSetup.name() + "-first"))
                    .listener(new ChatListener() {}).autoReconnect(true).build()) {
                await(alice.connect());
                await(alice.login(aliceSetup.name(), "pw".toCharArray()));
                Path big = file("movie.bin", LIMIT);
                CompletableFuture<SentMessage> sending = alice.files().send(Target.user(bob.name()), big);
                var files = chats.server().server().database().files();
                String conversation = ConversationId.direct(alice.session().orElseThrow().accountId(),
                        bob.client().session().orElseThrow().accountId()).value();
                // Wait until some chunks are stored, then cut the network.
                eventually(() -> assertThat(uploadedChunks(conversation)).isGreaterThan(5));
                proxy.cut();
                int before = uploadedChunks(conversation);
                proxy.restore();
                await(sending);
                assertThat(before).isLessThan(LIMIT / CHUNK); // it really was cut mid-upload
                eventually(() -> assertThat(bob.events().messages).hasSize(1));
                Path saved = await(bob.client().files().fetch(bob.events().messages.getFirst().file().fileId(), chats.dir().resolve("bob-movie")));
                assertThat(Files.readAllBytes(saved)).isEqualTo(Files.readAllBytes(big));
                assertThat(files.find(bob.events().messages.getFirst().file().fileId()).orElseThrow().received()).isEqualTo(LIMIT / CHUNK);
            }
        }
    }

    @Test
    void aDownloadCutByTheNetworkResumesAndSavesTheWholeFile() throws Exception {
        try (User alice = chats.register("alice"); User bobSetup = chats.register("bob");
             TcpProxy proxy = new TcpProxy("127.0.0.1", chats.server().port())) {
            bobSetup.close();
            Path big = file("album.bin", LIMIT);
            await(alice.client().files().send(Target.user(bobSetup.name()), big));
            try (ChatClient bob = ChatClient.builder().insecurePlaintext(true).server("127.0.0.1", proxy.port()).registrationKdf(KdfParams.INSECURE_FOR_TESTS)
                    .keyStoreDirectory(chats.dir().resolve("keys-" + bobSetup.name() + "-first"))
                    .listener(new ChatListener() {}).autoReconnect(true).build()) {
                await(bob.connect());
                await(bob.login(bobSetup.name(), "pw".toCharArray()));
                String fileId = await(bob.history(Target.user(alice.name()), 0, 1)).getFirst().file().fileId();
                Path downloads = Files.createDirectories(chats.dir().resolve("bob-album"));
                CompletableFuture<Path> fetching = bob.files().fetch(fileId, downloads);
                long cutAt = cutOnceThePartialFileHasGrown(downloads, proxy, 4 * CHUNK);
                proxy.restore();
                Path saved = await(fetching);
                assertThat(cutAt).isBetween(1L, (long) LIMIT - 1); // cut mid-download
                assertThat(Files.readAllBytes(saved)).isEqualTo(Files.readAllBytes(big));
            }
        }
    }

    /** Watches the download folder and cuts the network once the partial file has at least {@code bytes}. */
    private static long cutOnceThePartialFileHasGrown(Path downloads, TcpProxy proxy, long bytes) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (var listing = Files.list(downloads)) {
                for (Path part : listing.filter(p -> p.getFileName().toString().endsWith(".part")).toList()) {
                    long size = Files.size(part);
                    if (size >= bytes) {
                        proxy.cut();
                        return size;
                    }
                }
            } catch (java.nio.file.NoSuchFileException raced) {
                // the download finished meanwhile: reported as no cut below
            }
            Thread.onSpinWait();
        }
        return 0;
    }

    /** Chunks stored so far of the (one) upload in a conversation, read from the server's database. */
    private static int uploadedChunks(String conversation) throws Exception {
        try (var db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + chats.databaseFile());
             var query = db.prepareStatement("SELECT MAX(received) FROM files WHERE conversation_id = ?")) {
            query.setString(1, conversation);
            try (var rows = query.executeQuery()) {
                return rows.next() ? rows.getInt(1) : 0;
            }
        }
    }

    private static UploadState start(WireClient client, String conversation, long size) {
        Envelope answer = client.call(Envelope.newBuilder().setUploadStart(UploadStart.newBuilder()
                .setConversationId(conversation).setSize(size)));
        assertThat(answer.hasUploadState()).as("%s", answer).isTrue();
        return answer.getUploadState();
    }

    private static Envelope.Builder chunk(String fileId, int index, byte[] data) {
        return Envelope.newBuilder().setUploadChunk(UploadChunk.newBuilder().setFileId(fileId).setIndex(index)
                .setData(ByteString.copyFrom(data)));
    }

    private static void upload(WireClient client, String fileId, byte[] onlyChunk) {
        assertThat(client.call(chunk(fileId, 0, onlyChunk)).hasUploadState()).isTrue();
        assertThat(client.call(Envelope.newBuilder().setUploadDone(UploadDone.newBuilder().setFileId(fileId)))
                .getUploadState().getComplete()).isTrue();
    }
}
