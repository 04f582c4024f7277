package dev.fastchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.fastchat.protocol.v1.Content;
import dev.fastchat.protocol.v1.MembershipAction;
import dev.fastchat.protocol.v1.MembershipStatement;
import dev.fastchat.protocol.v1.SenderKey;
import dev.fastchat.protocol.v1.SignedStatement;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The test vectors the web client's tests check its own code against (web/test/vectors.test.ts, in Node.js and in
 * Chromium): password keys, key backup, identity keys, a sealed message of each version, membership statements, a
 * safety number, a file chunk and a trust state, made by this code. This test checks the Java code still opens and
 * reproduces every one, so the file stays true; run {@link #main} to write it again after a format change.
 */
class CrossClientVectorsTest {
    static final Path FILE = Path.of("src/test/resources/vectors/cross-client.json");
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] ALICE_X = HEX.parseHex("a8abababababababababababababababababababababababababababababab6b");
    private static final byte[] ALICE_ED = HEX.parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    private static final byte[] BOB_X = HEX.parseHex("c8cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd4d");
    private static final byte[] BOB_ED = HEX.parseHex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
    private static final long ALICE = 7;
    private static final long BOB = 9;
    private static final String DM = "d:7:9";
    private static final String GROUP = "g:team";
    private static final KdfParams KDF = new KdfParams(64, 2, 1);

    private static IdentityKeyPair alice() {
        return IdentityKeyPair.fromPrivateKeys(ALICE_X, ALICE_ED);
    }

    private static IdentityKeyPair bob() {
        return IdentityKeyPair.fromPrivateKeys(BOB_X, BOB_ED);
    }

    private static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }

    private static byte[] bytes(JsonNode node, String field) {
        return HEX.parseHex(node.get(field).asText());
    }

    private static Content text(String text, long replyTo) {
        return Content.newBuilder().setText(text).setReplyTo(replyTo).build();
    }

    /** The deterministic part of the chain: its id and first key, fixed. */
    private static SenderChain.Sending chain() {
        return SenderChain.Sending.restore(HEX.parseHex("00112233445566778899aabbccddeeff"), 0,
                HEX.parseHex("0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000"));
    }

    /** Writes the vectors file again (its randomized parts change: keep the old file unless the format changed). */
    public static void main(String[] args) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("about", "Made by dev.fastchat.crypto.CrossClientVectorsTest; checked by it and by the web client's tests. Hex throughout.");
        SecureRandom random = new SecureRandom();

        PasswordKeys keys = PasswordKeys.derive("correct horse ✓".toCharArray(), "5e1f0c0ffee0", "alice", KDF);
        root.putObject("passwordKeys").put("password", "correct horse ✓").put("serverId", "5e1f0c0ffee0").put("username", "alice")
                .put("memoryKib", KDF.memoryKib()).put("iterations", KDF.iterations()).put("parallelism", KDF.parallelism())
                .put("authKey", hex(keys.authKey())).put("backupKey", hex(keys.backupKey()));

        ObjectNode identities = root.putObject("identities");
        for (var entry : Map.of("alice", alice(), "bob", bob()).entrySet()) {
            identities.putObject(entry.getKey()).put("x25519Private", hex(entry.getValue().x25519Private()))
                    .put("ed25519Private", hex(entry.getValue().ed25519Private()))
                    .put("x25519Public", hex(entry.getValue().publicIdentity().x25519()))
                    .put("ed25519Public", hex(entry.getValue().publicIdentity().ed25519()));
        }
        root.put("aliceId", ALICE).put("bobId", BOB).put("dm", DM).put("group", GROUP);

        root.putObject("keyBackup").put("backupKey", hex(keys.backupKey())).put("username", "alice")
                .put("sealed", hex(KeyBackup.seal(alice(), keys.backupKey(), "alice", random)));

        byte[] v2 = MessageSealer.seal(new MessageSealer.Sender(ALICE, 1, alice()), DM, "c-1", Instant.ofEpochMilli(1_800_000_000_000L),
                text("hello bob, from Java ✓", 0), List.of(new MessageSealer.Recipient(ALICE, 1, alice().publicIdentity().x25519()),
                        new MessageSealer.Recipient(BOB, 1, bob().publicIdentity().x25519())), random);
        root.putObject("sealedV2").put("sealed", hex(v2)).put("conversation", DM).put("sender", ALICE).put("clientMsgId", "c-1")
                .put("sentAtMs", 1_800_000_000_000L).put("content", hex(text("hello bob, from Java ✓", 0).toByteArray()));

        SenderChain.Sending chain = chain();
        ObjectNode v3 = root.putObject("sealedV3");
        v3.put("chainId", hex(chain.chainId())).put("chainKey", hex(chain.chainKey())).put("conversation", GROUP).put("sender", BOB);
        var messages = v3.putArray("messages");
        for (int i = 0; i < 3; i++) {
            Content content = text("group message " + i + " ✓", i == 2 ? 1 : 0);
            byte[] sealed = chain.seal(new MessageSealer.Sender(BOB, 1, bob()), GROUP, "g-" + i, Instant.ofEpochMilli(1_800_000_000_000L + i), content);
            messages.addObject().put("index", i).put("clientMsgId", "g-" + i).put("sentAtMs", 1_800_000_000_000L + i)
                    .put("content", hex(content.toByteArray())).put("sealed", hex(sealed));
        }

        List<SignedStatement> statements = membership();
        var chainNode = root.putObject("membership");
        var list = chainNode.putArray("statements");
        statements.forEach(s -> list.add(hex(s.toByteArray())));
        chainNode.put("head", hex(MembershipChain.hash(statements.getLast())));

        root.putObject("safetyNumber").put("value", SafetyNumber.of("alice", alice().publicIdentity(), "bob", bob().publicIdentity()));

        byte[] fileKey = HEX.parseHex("101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f");
        byte[] chunk = "a chunk of a file ✓".getBytes(StandardCharsets.UTF_8);
        root.putObject("fileChunk").put("key", hex(fileKey)).put("fileId", "f-3f2a").put("index", 1).put("count", 3)
                .put("plaintext", hex(chunk)).put("ciphertext", hex(FileCipher.encrypt(fileKey, "f-3f2a", 1, 3, chunk, chunk.length)));

        byte[] state = "pins of alice ✓".getBytes(StandardCharsets.UTF_8);
        root.putObject("trustState").put("username", "alice").put("version", 5).put("state", hex(state))
                .put("sealed", hex(SealedTrustState.seal(alice(), "alice", 5, state, random)));

        Files.writeString(FILE, json.writeValueAsString(root) + "\n");
    }

    /** alice creates the group and invites bob; bob accepts; alice promotes him. */
    private static List<SignedStatement> membership() {
        byte[] chainId = HEX.parseHex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
        List<SignedStatement> chain = new ArrayList<>();
        Object[][] steps = {{MembershipAction.CREATE, ALICE, ALICE}, {MembershipAction.INVITE, ALICE, BOB},
                {MembershipAction.ACCEPT, BOB, BOB}, {MembershipAction.PROMOTE, ALICE, BOB}};
        for (Object[] step : steps) {
            long actor = (Long) step[1];
            MembershipStatement.Builder statement = MembershipStatement.newBuilder().setChainId(ByteString.copyFrom(chainId))
                    .setIndex(chain.size()).setAction((MembershipAction) step[0]).setActorId(actor).setSubjectId((Long) step[2])
                    .setAtMs(1_800_000_000_000L + chain.size()).setSignerKeyId(1);
            if (chain.isEmpty()) {
                statement.setGroupName("team");
            } else {
                statement.setPrevious(ByteString.copyFrom(MembershipChain.hash(chain.getLast())));
            }
            chain.add(MembershipChain.sign(statement.build(), actor == ALICE ? alice() : bob()));
        }
        return chain;
    }

    private static JsonNode vectors() throws IOException {
        try (InputStream in = CrossClientVectorsTest.class.getResourceAsStream("/vectors/cross-client.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    @Test
    void theJavaCodeReproducesOrOpensEveryVector() throws Exception {
        JsonNode v = vectors();
        JsonNode pk = v.get("passwordKeys");
        PasswordKeys keys = PasswordKeys.derive(pk.get("password").asText().toCharArray(), pk.get("serverId").asText(),
                pk.get("username").asText(), new KdfParams(pk.get("memoryKib").asInt(), pk.get("iterations").asInt(), pk.get("parallelism").asInt()));
        assertThat(hex(keys.authKey())).isEqualTo(pk.get("authKey").asText());
        assertThat(hex(keys.backupKey())).isEqualTo(pk.get("backupKey").asText());

        assertThat(hex(alice().publicIdentity().x25519())).isEqualTo(v.at("/identities/alice/x25519Public").asText());
        assertThat(hex(bob().publicIdentity().ed25519())).isEqualTo(v.at("/identities/bob/ed25519Public").asText());
        assertThat(KeyBackup.open(bytes(v.get("keyBackup"), "sealed"), keys.backupKey(), "alice")).isEqualTo(alice());

        JsonNode v2 = v.get("sealedV2");
        MessageSealer.Opened opened = MessageSealer.open(bytes(v2, "sealed"), DM, ALICE, alice().publicIdentity().ed25519(), BOB, bob());
        assertThat(hex(opened.content().toByteArray())).isEqualTo(v2.get("content").asText());

        JsonNode v3 = v.get("sealedV3");
        SenderChain.Sending chain = chain();
        SenderChain.Receiving receiving = new SenderChain.Receiving(GROUP, BOB, SenderKey.newBuilder()
                .setChainId(ByteString.copyFrom(bytes(v3, "chainId"))).setChainKey(ByteString.copyFrom(bytes(v3, "chainKey"))).build());
        for (JsonNode message : v3.get("messages")) {
            Content content = Content.parseFrom(bytes(message, "content"));
            byte[] sealed = chain.seal(new MessageSealer.Sender(BOB, 1, bob()), GROUP, message.get("clientMsgId").asText(),
                    Instant.ofEpochMilli(message.get("sentAtMs").asLong()), content);
            assertThat(hex(sealed)).as("chain messages are deterministic").isEqualTo(message.get("sealed").asText());
            assertThat(receiving.open(sealed, GROUP, BOB, bob().publicIdentity().ed25519()).content()).isEqualTo(content);
        }

        List<SignedStatement> statements = membership();
        List<String> stored = new ArrayList<>();
        v.at("/membership/statements").forEach(s -> stored.add(s.asText()));
        assertThat(statements.stream().map(s -> hex(s.toByteArray())).toList()).isEqualTo(stored);
        MembershipChain.Roster roster = MembershipChain.verify(statements,
                (account, keyId) -> (account == ALICE ? alice() : bob()).publicIdentity().ed25519());
        assertThat(hex(roster.head())).isEqualTo(v.at("/membership/head").asText());
        assertThat(roster.isAdmin(BOB)).isTrue();

        assertThat(SafetyNumber.of("bob", bob().publicIdentity(), "alice", alice().publicIdentity()))
                .isEqualTo(v.at("/safetyNumber/value").asText());

        JsonNode file = v.get("fileChunk");
        byte[] plain = bytes(file, "plaintext");
        assertThat(hex(FileCipher.encrypt(bytes(file, "key"), "f-3f2a", 1, 3, plain, plain.length))).isEqualTo(file.get("ciphertext").asText());

        JsonNode trust = v.get("trustState");
        assertThat(hex(SealedTrustState.open(alice(), "alice", 5, bytes(trust, "sealed")))).isEqualTo(trust.get("state").asText());
    }
}
