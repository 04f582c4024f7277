package dev.fastchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fastchat.crypto.MessageSealer.Opened;
import dev.fastchat.crypto.MessageSealer.Recipient;
import dev.fastchat.crypto.MessageSealer.Sender;
import dev.fastchat.crypto.OpenException.Reason;
import dev.fastchat.protocol.MessageLimits;
import dev.fastchat.protocol.v1.Content;
import dev.fastchat.protocol.v1.SealedMessage;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MessageSealerTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String CONVERSATION = "d:1:2";
    private final IdentityKeyPair alice = IdentityKeyPair.generate(RANDOM);
    private final IdentityKeyPair bob = IdentityKeyPair.generate(RANDOM);
    private final IdentityKeyPair carol = IdentityKeyPair.generate(RANDOM);

    private byte[] sealFromAlice(String conversation, String text) {
        return MessageSealer.seal(new Sender(1, 1, alice), conversation, "msg-1", Instant.ofEpochMilli(1_700_000_000_000L),
                Content.newBuilder().setText(text).build(),
                List.of(recipient(1, alice), recipient(2, bob)), RANDOM);
    }

    private static Recipient recipient(long id, IdentityKeyPair keys) {
        return new Recipient(id, 1, keys.publicIdentity().x25519());
    }

    private Opened openAsBob(byte[] sealed) {
        return MessageSealer.open(sealed, CONVERSATION, 1, alice.publicIdentity().ed25519(), 2, bob);
    }

    @Test
    void everyRecipientIncludingTheSenderOpensTheText() {
        String text = "héllo 👋 مرحبا\nsecond line";
        byte[] sealed = sealFromAlice(CONVERSATION, text);
        Opened atBob = openAsBob(sealed);
        Opened atAlice = MessageSealer.open(sealed, CONVERSATION, 1, alice.publicIdentity().ed25519(), 1, alice);
        assertThat(atBob.content().getText()).isEqualTo(text);
        assertThat(atAlice.content().getText()).isEqualTo(text);
        assertThat(atBob.header().getClientMsgId()).isEqualTo("msg-1");
        assertThat(atBob.sentAt()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_000L));
    }

    @Test
    void aNonRecipientCannotOpen() {
        byte[] sealed = sealFromAlice(CONVERSATION, "secret");
        assertThatThrownBy(() -> MessageSealer.open(sealed, CONVERSATION, 1, alice.publicIdentity().ed25519(), 3, carol))
                .isInstanceOfSatisfying(OpenException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_A_RECIPIENT));
        // Carol claiming to be Bob: Bob's entry does not open with Carol's key.
        assertThatThrownBy(() -> MessageSealer.open(sealed, CONVERSATION, 1, alice.publicIdentity().ed25519(), 2, carol))
                .isInstanceOfSatisfying(OpenException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TAMPERED));
    }

    @Test
    void aSignatureFromAnotherKeyIsRefused() {
        byte[] sealed = sealFromAlice(CONVERSATION, "hi");
        assertThatThrownBy(() -> MessageSealer.open(sealed, CONVERSATION, 1, carol.publicIdentity().ed25519(), 2, bob))
                .isInstanceOfSatisfying(OpenException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE));
        // Carol re-signs Alice's message with her own key: verification against Alice's pinned key fails.
        byte[] forged = MessageSealer.seal(new Sender(1, 1, carol), CONVERSATION, "msg-1", Instant.now(),
                Content.newBuilder().setText("forged").build(), List.of(recipient(2, bob)), RANDOM);
        assertThatThrownBy(() -> openAsBob(forged))
                .isInstanceOfSatisfying(OpenException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE));
    }

    @Test
    void aMessageReplayedIntoAnotherConversationOrFromAnotherSenderIsRefused() {
        byte[] sealed = sealFromAlice(CONVERSATION, "hi");
        assertThatThrownBy(() -> MessageSealer.open(sealed, "g:7", 1, alice.publicIdentity().ed25519(), 2, bob))
                .isInstanceOfSatisfying(OpenException.class, e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_CONVERSATION));
        assertThatThrownBy(() -> MessageSealer.open(sealed, CONVERSATION, 3, alice.publicIdentity().ed25519(), 2, bob))
                .isInstanceOfSatisfying(OpenException.class, e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_SENDER));
    }

    @Test
    void flippingAnyBitOfAnyByteIsDetected() {
        byte[] sealed = sealFromAlice(CONVERSATION, "tamper with me");
        Set<Reason> seen = EnumSet.noneOf(Reason.class);
        for (int i = 0; i < sealed.length; i++) {
            byte[] tampered = sealed.clone();
            tampered[i] ^= (byte) (1 << (i % 8));
            int index = i;
            assertThatThrownBy(() -> openAsBob(tampered)).as("byte %d", index)
                    .isInstanceOfSatisfying(OpenException.class, e -> seen.add(e.reason()));
        }
        assertThat(seen).contains(Reason.BAD_SIGNATURE);
    }

    @Test
    void aSwappedBodyFromAnotherMessageIsRefused() throws Exception {
        SealedMessage first = SealedMessage.parseFrom(sealFromAlice(CONVERSATION, "one"));
        SealedMessage second = SealedMessage.parseFrom(sealFromAlice(CONVERSATION, "two"));
        byte[] spliced = first.toBuilder().setBody(second.getBody()).build().toByteArray();
        assertThatThrownBy(() -> openAsBob(spliced))
                .isInstanceOfSatisfying(OpenException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE));
    }

    @Test
    void garbageIsMalformed() {
        assertThatThrownBy(() -> openAsBob(new byte[] {1, 2, 3}))
                .isInstanceOfSatisfying(OpenException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED));
    }

    @Test
    void textsUpTo64KibSealAndLongerOnesAreRefused() {
        String max = "a".repeat(MessageLimits.MAX_TEXT_BYTES);
        assertThat(openAsBob(sealFromAlice(CONVERSATION, max)).content().getText()).isEqualTo(max);
        assertThatThrownBy(() -> sealFromAlice(CONVERSATION, "a".repeat(65 << 10)))
                .isInstanceOfSatisfying(OpenException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE));
    }

    @Test
    void paddingHidesTheExactLength() throws Exception {
        int shortBody = SealedMessage.parseFrom(sealFromAlice(CONVERSATION, "hi")).getBody().size();
        int longerBody = SealedMessage.parseFrom(sealFromAlice(CONVERSATION, "hello there, how are you?")).getBody().size();
        assertThat(shortBody).isEqualTo(longerBody);
        assertThat(Padding.unpad(Padding.pad(new byte[0]))).isEmpty();
        assertThat(Padding.pad(new byte[127])).hasSize(128);
        assertThat(Padding.pad(new byte[128])).hasSize(256);
        assertThat(Padding.pad(new byte[5000])).hasSize(8192);
    }

    @Test
    void sealsForManyRecipients() {
        List<IdentityKeyPair> members = new ArrayList<>();
        List<Recipient> recipients = new ArrayList<>();
        for (int i = 1; i <= 256; i++) {
            IdentityKeyPair keys = i == 1 ? alice : IdentityKeyPair.generate(RANDOM);
            members.add(keys);
            recipients.add(recipient(i, keys));
        }
        byte[] sealed = MessageSealer.seal(new Sender(1, 1, alice), "g:9", "m", Instant.now(),
                Content.newBuilder().setText("to all").build(), recipients, RANDOM);
        assertThat(MessageSealer.open(sealed, "g:9", 1, alice.publicIdentity().ed25519(), 256, members.get(255))
                .content().getText()).isEqualTo("to all");
        assertThat(sealed.length).isLessThan(32 << 10);
    }

    @Test
    void safetyNumbersAgreeOnBothSidesAndChangeWithTheKeys() {
        String ab = SafetyNumber.of("alice", alice.publicIdentity(), "bob", bob.publicIdentity());
        String ba = SafetyNumber.of("bob", bob.publicIdentity(), "alice", alice.publicIdentity());
        assertThat(ab).isEqualTo(ba).matches("(\\d{5} ){5}\\d{5}  (\\d{5} ){5}\\d{5}");
        assertThat(SafetyNumber.of("alice", alice.publicIdentity(), "bob", carol.publicIdentity())).isNotEqualTo(ab);
    }
}
