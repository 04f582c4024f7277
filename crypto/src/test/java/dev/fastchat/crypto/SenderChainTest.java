package dev.fastchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.fastchat.crypto.OpenException.Reason;
import dev.fastchat.protocol.v1.Content;
import dev.fastchat.protocol.v1.MessageHeader;
import dev.fastchat.protocol.v1.SealedBody;
import dev.fastchat.protocol.v1.SealedMessage;
import dev.fastchat.protocol.v1.SenderKey;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Sender chains: messages open in any order for those the chain was announced to, and for nobody else. */
class SenderChainTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String GROUP = "g:42";
    private static final Instant NOW = Instant.ofEpochMilli(1_800_000_000_000L);
    private final IdentityKeyPair bob = IdentityKeyPair.generate(RANDOM);
    private final IdentityKeyPair carol = IdentityKeyPair.generate(RANDOM);
    private final MessageSealer.Sender bobSends = new MessageSealer.Sender(2, 1, bob);

    private static Content text(String text) {
        return Content.newBuilder().setText(text).build();
    }

    private byte[] seal(SenderChain.Sending chain, String text) {
        return chain.seal(bobSends, GROUP, "m-" + chain.nextIndex() + "-" + text.hashCode(), NOW, text(text));
    }

    private String open(SenderChain.Receiving chain, byte[] sealed) {
        return chain.open(sealed, GROUP, 2, bob.publicIdentity().ed25519()).content().getText();
    }

    @Test
    void messagesOpenInOrderOutOfOrderAndAgainFromTheAnnouncement() {
        SenderChain.Sending sending = SenderChain.Sending.create(RANDOM);
        SenderChain.Receiving receiving = new SenderChain.Receiving(GROUP, 2, sending.announcement());
        List<byte[]> sealed = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sealed.add(seal(sending, "message " + i));
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(7));
        for (int i : order) {
            assertThat(open(receiving, sealed.get(i))).isEqualTo("message " + i);
        }
        for (int i = 0; i < 50; i++) { // all again: history is read more than once
            assertThat(open(receiving, sealed.get(i))).isEqualTo("message " + i);
        }
        MessageHeader header = MessageSealer.header(sealed.get(3));
        assertThat(header.getVersion()).isEqualTo(SenderChain.VERSION);
        assertThat(header.getChainIndex()).isEqualTo(3);
    }

    @Test
    void aJumpPastTheWindowOfSkippedKeysStillOpensEveryEarlierMessage() {
        SenderChain.Sending sending = SenderChain.Sending.create(RANDOM);
        SenderChain.Receiving receiving = new SenderChain.Receiving(GROUP, 2, sending.announcement());
        List<byte[]> sealed = new ArrayList<>();
        for (int i = 0; i < SenderChain.MAX_SKIPPED + 500; i++) {
            sealed.add(seal(sending, "m" + i));
        }
        assertThat(open(receiving, sealed.getLast())).isEqualTo("m" + (sealed.size() - 1));
        for (int i = 0; i < sealed.size() - 1; i += 97) {
            assertThat(open(receiving, sealed.get(i))).isEqualTo("m" + i);
        }
    }

    @Test
    void aChainAnnouncedFromALaterIndexDoesNotOpenWhatCameBefore() {
        // A member who joins gets the chain from where it stands: nothing sent before is within its reach.
        SenderChain.Sending sending = SenderChain.Sending.create(RANDOM);
        byte[] before = seal(sending, "before you joined");
        SenderKey fromHere = sending.announcement();
        byte[] after = seal(sending, "welcome");
        SenderChain.Receiving joiner = new SenderChain.Receiving(GROUP, 2, fromHere);
        assertThat(open(joiner, after)).isEqualTo("welcome");
        assertThatThrownBy(() -> open(joiner, before)).isInstanceOfSatisfying(OpenException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_CHAIN));
    }

    @Test
    void aRemovedMemberHoldingEveryOldKeyCannotOpenTheNextChain() {
        SenderChain.Sending old = SenderChain.Sending.create(RANDOM);
        SenderChain.Receiving removed = new SenderChain.Receiving(GROUP, 2, old.announcement());
        assertThat(open(removed, seal(old, "while you were in"))).isEqualTo("while you were in");
        SenderChain.Sending next = SenderChain.Sending.create(RANDOM); // the membership changed: a new chain
        byte[] secret = seal(next, "after you left");
        assertThatThrownBy(() -> open(removed, secret)).isInstanceOfSatisfying(OpenException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_CHAIN));
        // Relabelling the new message with the old chain's id (and index) breaks the signature.
        byte[] relabelled = withHeader(secret, MessageSealer.header(secret).toBuilder()
                .setChainId(ByteString.copyFrom(old.chainId())).setChainIndex(1).build());
        assertThatThrownBy(() -> open(removed, relabelled)).isInstanceOfSatisfying(OpenException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE));
    }

    @Test
    void aMemberHoldingTheChainCannotForgeTheSendersMessages() {
        SenderChain.Sending sending = SenderChain.Sending.create(RANDOM);
        SenderKey announced = sending.announcement();
        SenderChain.Receiving alice = new SenderChain.Receiving(GROUP, 2, announced);
        // carol holds bob's chain key (every member does) and seals a message as bob, signed with her own key.
        SenderChain.Sending stolen = SenderChain.Sending.restore(announced.getChainId().toByteArray(), 0,
                announced.getChainKey().toByteArray());
        byte[] forged = stolen.seal(new MessageSealer.Sender(2, 1, carol), GROUP, "forged", NOW, text("send me your password"));
        assertThatThrownBy(() -> open(alice, forged)).isInstanceOfSatisfying(OpenException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE));
        // And a forgery does not move the chain: bob's real message at that index opens.
        assertThat(open(alice, seal(sending, "hi"))).isEqualTo("hi");
    }

    @Test
    void tamperingReplayElsewhereAndAnotherSenderAreRefused() {
        SenderChain.Sending sending = SenderChain.Sending.create(RANDOM);
        SenderChain.Receiving receiving = new SenderChain.Receiving(GROUP, 2, sending.announcement());
        byte[] sealed = seal(sending, "hello");
        SealedMessage message = parse(sealed);
        byte[] body = message.getBody().toByteArray();
        body[body.length - 1] ^= 1;
        byte[] tampered = message.toBuilder().setBody(ByteString.copyFrom(body)).build().toByteArray();
        assertThatThrownBy(() -> open(receiving, tampered)).isInstanceOfSatisfying(OpenException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE));
        assertThatThrownBy(() -> receiving.open(sealed, "g:43", 2, bob.publicIdentity().ed25519()))
                .isInstanceOfSatisfying(OpenException.class, e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_CONVERSATION));
        assertThatThrownBy(() -> receiving.open(sealed, GROUP, 3, bob.publicIdentity().ed25519()))
                .isInstanceOfSatisfying(OpenException.class, e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_SENDER));
        // A body re-encrypted under a wrong key but signed by the sender (a buggy or hostile sender) does not decrypt.
        byte[] wrongKey = SealedBody.newBuilder().setCiphertext(ByteString.copyFrom(new byte[144])).build().toByteArray();
        byte[] resigned = resign(message.toBuilder().setBody(ByteString.copyFrom(wrongKey)).build());
        assertThatThrownBy(() -> open(receiving, resigned)).isInstanceOfSatisfying(OpenException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.TAMPERED));
        assertThat(open(receiving, sealed)).isEqualTo("hello");
    }

    @Test
    void aMessageWhoseKeyIsNotTheOneItsSignedHeaderCommitsToIsRefused() {
        // bob hands alice one chain and carol another (each gets the chain key apart) and signs one message for both:
        // without the commitment, a ciphertext that opens under both message keys would read as two texts.
        SenderChain.Sending toAlice = SenderChain.Sending.create(RANDOM);
        SenderChain.Sending toCarol = SenderChain.Sending.restore(toAlice.chainId(), 0, SenderChain.Sending.create(RANDOM).chainKey());
        SenderChain.Receiving carol = new SenderChain.Receiving(GROUP, 2, toCarol.announcement());
        byte[] forAlice = seal(toAlice, "meet at 10");
        assertThatThrownBy(() -> open(carol, forAlice)).isInstanceOfSatisfying(OpenException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.TAMPERED));
    }

    @Test
    void anIndexBeyondTheLimitIsRefusedBeforeAnyWork() {
        SenderChain.Sending sending = SenderChain.Sending.create(RANDOM);
        SenderChain.Receiving receiving = new SenderChain.Receiving(GROUP, 2, sending.announcement());
        byte[] sealed = seal(sending, "x");
        byte[] far = resign(parse(withHeader(sealed, MessageSealer.header(sealed).toBuilder().setChainIndex(SenderChain.MAX_INDEX).build())));
        assertThatThrownBy(() -> open(receiving, far)).isInstanceOfSatisfying(OpenException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_CHAIN));
    }

    @Test
    void aRestoredChainContinuesWhereTheSavedOneStoodAndASealedTextIsSmall() {
        SenderChain.Sending sending = SenderChain.Sending.create(RANDOM);
        SenderChain.Receiving receiving = new SenderChain.Receiving(GROUP, 2, sending.announcement());
        seal(sending, "one");
        SenderChain.Sending restored = SenderChain.Sending.restore(sending.chainId(), sending.nextIndex(), sending.chainKey());
        restored.skip(64); // indices a crashed session may have used are never used again
        byte[] sealed = seal(restored, "x".repeat(100));
        assertThat(MessageSealer.header(sealed).getChainIndex()).isEqualTo(65);
        assertThat(open(receiving, sealed)).isEqualTo("x".repeat(100));
        assertThat(sealed.length).isLessThan(2048);
    }

    private static SealedMessage parse(byte[] sealed) {
        try {
            return SealedMessage.parseFrom(sealed);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] withHeader(byte[] sealed, MessageHeader header) {
        return parse(sealed).toBuilder().setHeader(header.toByteString()).build().toByteArray();
    }

    /** Signs the message again with bob's key: what bob himself could send. */
    private byte[] resign(SealedMessage message) {
        org.bouncycastle.crypto.signers.Ed25519Signer signer = new org.bouncycastle.crypto.signers.Ed25519Signer();
        signer.init(true, bob.signingKey());
        byte[] digest = MessageSealer.signedDigest(message.getHeader().toByteArray(), new byte[0], message.getBody().toByteArray());
        signer.update(digest, 0, digest.length);
        return message.toBuilder().setSignature(ByteString.copyFrom(signer.generateSignature())).build().toByteArray();
    }
}
