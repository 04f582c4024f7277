package dev.fastchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.fastchat.crypto.OpenException.Reason;
import dev.fastchat.protocol.v1.MessageHeader;
import dev.fastchat.protocol.v1.RecipientKey;
import dev.fastchat.protocol.v1.RecipientList;
import dev.fastchat.protocol.v1.SealedBody;
import dev.fastchat.protocol.v1.SealedMessage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.Test;

/**
 * The "invisible salamanders" attack on AES-GCM (Dodis, Grubbs, Ristenpart, Woodage, 2018): a malicious
 * member builds one ciphertext that opens under two content keys, seals one key to bob and the other to
 * carol, and signs it all honestly. Without a key commitment each would read another text of the same
 * signed message. The signed header's commitment to one key makes the other key's reader refuse it.
 */
class KeyCommitmentTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String CONVERSATION = "g:7";
    private final IdentityKeyPair mallory = IdentityKeyPair.generate(RANDOM);
    private final IdentityKeyPair bob = IdentityKeyPair.generate(RANDOM);
    private final IdentityKeyPair carol = IdentityKeyPair.generate(RANDOM);

    @Test
    void oneCiphertextThatOpensUnderTwoContentKeysIsRefusedByTheRecipientOfTheUncommittedKey() throws Exception {
        byte[] bobKey = randomBytes(32);
        byte[] carolKey = randomBytes(32);
        byte[] nonce = randomBytes(12);
        byte[] header = MessageHeader.newBuilder().setVersion(MessageSealer.VERSION).setConversationId(CONVERSATION)
                .setSenderId(1).setSenderKeyId(1).setClientMsgId("salamander").setSentAtMs(1_700_000_000_000L)
                .setKeyCommitment(ByteString.copyFrom(MessageSealer.commitment(bobKey)))
                .build().toByteArray();
        byte[] ciphertext = GcmCollision.build(bobKey, carolKey, nonce, header, padded("meet at 10"));

        // The attack holds on the primitive: AES-GCM accepts the one ciphertext under both keys.
        assertThat(gcmOpen(bobKey, nonce, header, ciphertext)).isNotNull();
        assertThat(gcmOpen(carolKey, nonce, header, ciphertext)).isNotNull();

        byte[] info = MessageSealer.keyInfo(header);
        byte[] recipients = RecipientList.newBuilder()
                .addRecipients(entry(2, bob, info, bobKey))
                .addRecipients(entry(3, carol, info, carolKey))
                .build().toByteArray();
        byte[] body = SealedBody.newBuilder().setNonce(ByteString.copyFrom(nonce)).setCiphertext(ByteString.copyFrom(ciphertext))
                .build().toByteArray();
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, mallory.signingKey());
        byte[] digest = MessageSealer.signedDigest(header, recipients, body);
        signer.update(digest, 0, digest.length);
        byte[] sealed = SealedMessage.newBuilder().setHeader(ByteString.copyFrom(header)).setRecipients(ByteString.copyFrom(recipients))
                .setBody(ByteString.copyFrom(body)).setSignature(ByteString.copyFrom(signer.generateSignature()))
                .build().toByteArray();

        assertThat(MessageSealer.open(sealed, CONVERSATION, 1, mallory.publicIdentity().ed25519(), 2, bob).content().getText())
                .isEqualTo("meet at 10");
        assertThatThrownBy(() -> MessageSealer.open(sealed, CONVERSATION, 1, mallory.publicIdentity().ed25519(), 3, carol))
                .isInstanceOfSatisfying(OpenException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.TAMPERED);
                    assertThat(e.getMessage()).contains("key commitment");
                });
    }

    private static RecipientKey entry(long accountId, IdentityKeyPair recipient, byte[] info, byte[] contentKey) {
        Hpke.Sealed sealedKey = Hpke.seal(recipient.publicIdentity().x25519(), info, MessageSealer.accountAad(accountId), contentKey);
        return RecipientKey.newBuilder().setAccountId(accountId).setKeyId(1).setEnc(ByteString.copyFrom(sealedKey.enc()))
                .setSealedContentKey(ByteString.copyFrom(sealedKey.ciphertext())).build();
    }

    /**
     * 128 bytes that parse as a Content with {@code text} (field 1) and an unknown bytes field (15) that
     * covers bytes 14 to 95, where the colliding block lands; then the padding's 0x80 at 96.
     */
    private static byte[] padded(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer plain = ByteBuffer.allocate(128);
        plain.put((byte) 0x0A).put((byte) utf8.length).put(utf8);
        int unknownStart = plain.position() + 2;
        plain.put((byte) 0x7A).put((byte) (96 - unknownStart));
        plain.put(96, (byte) 0x80);
        return plain.array();
    }

    private static byte[] gcmOpen(byte[] key, byte[] nonce, byte[] aad, byte[] ciphertext) throws Exception {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        cipher.updateAAD(aad);
        return cipher.doFinal(ciphertext);
    }

    private static byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /** Builds an AES-GCM ciphertext (with tag) that decrypts under two keys, by solving GHASH for one block. */
    static final class GcmCollision {
        /** The 16-byte block of the plaintext that is given up for the collision. */
        private static final int FREE_BLOCK = 5;

        /**
         * @param plain whole 16-byte blocks, the text under {@code key1}; its block {@link #FREE_BLOCK} is
         *     replaced by whatever makes the tags agree
         */
        static byte[] build(byte[] key1, byte[] key2, byte[] nonce, byte[] aad, byte[] plain) throws Exception {
            byte[] ciphertext = xor(plain, keystream(key1, nonce, plain.length));
            int blocks = plain.length / 16;
            java.util.Arrays.fill(ciphertext, FREE_BLOCK * 16, FREE_BLOCK * 16 + 16, (byte) 0);
            long[] h1 = ecb(key1, new byte[16]);
            long[] h2 = ecb(key2, new byte[16]);
            long[] s1 = ecb(key1, counterBlock(nonce, 1));
            long[] s2 = ecb(key2, counterBlock(nonce, 1));
            long[] g1 = ghash(h1, aad, ciphertext);
            long[] g2 = ghash(h2, aad, ciphertext);
            int power = blocks - FREE_BLOCK + 1; // the blocks after it, and the length block
            long[] difference = add(add(g1, g2), add(s1, s2));
            long[] free = multiply(difference, inverse(add(pow(h1, power), pow(h2, power))));
            System.arraycopy(bytes(free), 0, ciphertext, FREE_BLOCK * 16, 16);
            long[] tag = add(ghash(h1, aad, ciphertext), s1);
            byte[] out = java.util.Arrays.copyOf(ciphertext, ciphertext.length + 16);
            System.arraycopy(bytes(tag), 0, out, ciphertext.length, 16);
            return out;
        }

        private static byte[] keystream(byte[] key, byte[] nonce, int length) throws Exception {
            Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding");
            ctr.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(counterBlock(nonce, 2)));
            return ctr.doFinal(new byte[length]);
        }

        private static byte[] counterBlock(byte[] nonce, int counter) {
            return ByteBuffer.allocate(16).put(nonce).putInt(counter).array();
        }

        private static long[] ecb(byte[] key, byte[] block) throws Exception {
            Cipher aes = Cipher.getInstance("AES/ECB/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
            return element(aes.doFinal(block), 0);
        }

        private static long[] ghash(long[] h, byte[] aad, byte[] ciphertext) {
            long[] y = {0, 0};
            for (byte[] part : new byte[][] {aad, ciphertext}) {
                byte[] padded = java.util.Arrays.copyOf(part, (part.length + 15) / 16 * 16);
                for (int offset = 0; offset < padded.length; offset += 16) {
                    y = multiply(add(y, element(padded, offset)), h);
                }
            }
            long[] lengths = {aad.length * 8L, ciphertext.length * 8L};
            return multiply(add(y, lengths), h);
        }

        private static byte[] xor(byte[] a, byte[] b) {
            byte[] out = new byte[a.length];
            for (int i = 0; i < a.length; i++) {
                out[i] = (byte) (a[i] ^ b[i]);
            }
            return out;
        }

        private static long[] element(byte[] bytes, int offset) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, 16);
            return new long[] {buffer.getLong(), buffer.getLong()};
        }

        private static byte[] bytes(long[] element) {
            return ByteBuffer.allocate(16).putLong(element[0]).putLong(element[1]).array();
        }

        private static long[] add(long[] a, long[] b) {
            return new long[] {a[0] ^ b[0], a[1] ^ b[1]};
        }

        /** Multiplication in GCM's GF(2^128) (NIST SP 800-38D, algorithm 1: bit-reflected, R = 0xE1 || 0^120). */
        private static long[] multiply(long[] x, long[] y) {
            long zHi = 0;
            long zLo = 0;
            long vHi = y[0];
            long vLo = y[1];
            for (int i = 0; i < 128; i++) {
                long bit = i < 64 ? (x[0] >>> (63 - i)) & 1 : (x[1] >>> (127 - i)) & 1;
                if (bit == 1) {
                    zHi ^= vHi;
                    zLo ^= vLo;
                }
                boolean carry = (vLo & 1) == 1;
                vLo = (vLo >>> 1) | (vHi << 63);
                vHi >>>= 1;
                if (carry) {
                    vHi ^= 0xE100000000000000L;
                }
            }
            return new long[] {zHi, zLo};
        }

        private static long[] pow(long[] x, int exponent) {
            long[] result = {Long.MIN_VALUE, 0}; // the field's one
            for (int i = 0; i < exponent; i++) {
                result = multiply(result, x);
            }
            return result;
        }

        /** x^(2^128 - 2) = x^-1: the product of x^(2^k) for k = 1..127. */
        private static long[] inverse(long[] x) {
            long[] result = {Long.MIN_VALUE, 0};
            long[] square = x;
            for (int k = 1; k < 128; k++) {
                square = multiply(square, square);
                result = multiply(result, square);
            }
            return result;
        }
    }
}
