package dev.fastchat.crypto;

import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.hpke.HPKEContext;
import org.bouncycastle.crypto.hpke.HPKEContextWithEncapsulation;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;

/**
 * HPKE base mode (RFC 9180) with one fixed suite: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM.
 * Single-shot: one encapsulation per sealed plaintext. The primitives are BouncyCastle's; this class only
 * fixes the suite and turns failures into {@link CryptoException}. Thread-safe.
 */
public final class Hpke {
    /** Bytes of an encapsulated key. */
    public static final int ENC_BYTES = 32;
    /** Bytes the AEAD adds to a plaintext. */
    public static final int TAG_BYTES = 16;

    private Hpke() {}

    /**
     * An encapsulated key and the ciphertext sealed under it.
     *
     * @param enc the encapsulated key (32 bytes), sent beside the ciphertext
     * @param ciphertext the sealed plaintext with its tag
     */
    public record Sealed(byte[] enc, byte[] ciphertext) {}

    /** Seals {@code plaintext} to the holder of the X25519 private key of {@code recipientPublic}. */
    public static Sealed seal(byte[] recipientPublic, byte[] info, byte[] aad, byte[] plaintext) {
        return sealWith(suite().generatePrivateKey(), recipientPublic, info, aad, plaintext);
    }

    /** Seals with a given ephemeral key pair; for known-answer tests. */
    static Sealed sealWith(AsymmetricCipherKeyPair ephemeral, byte[] recipientPublic, byte[] info, byte[] aad,
                           byte[] plaintext) {
        HPKEContextWithEncapsulation context = senderContext(ephemeral, recipientPublic, info);
        try {
            return new Sealed(context.getEncapsulation(), context.seal(aad, plaintext));
        } catch (InvalidCipherTextException e) {
            throw new CryptoException("HPKE seal failed", e);
        }
    }

    /**
     * Opens what {@link #seal} sealed.
     *
     * @param recipientPrivate the raw 32-byte X25519 private key
     * @throws CryptoException if the key is not the recipient's, or any byte of enc, ciphertext, info or aad changed
     */
    public static byte[] open(byte[] enc, byte[] recipientPrivate, byte[] info, byte[] aad, byte[] ciphertext) {
        if (enc.length != ENC_BYTES || ciphertext.length < TAG_BYTES) {
            throw new CryptoException("malformed HPKE ciphertext");
        }
        try {
            return receiverContext(enc, keyPair(recipientPrivate), info).open(aad, ciphertext);
        } catch (InvalidCipherTextException | IllegalArgumentException e) {
            throw new CryptoException("HPKE open failed: wrong key or altered data", e);
        }
    }

    static HPKEContextWithEncapsulation senderContext(AsymmetricCipherKeyPair ephemeral, byte[] recipientPublic, byte[] info) {
        if (recipientPublic.length != 32) {
            throw new CryptoException("X25519 public keys are 32 bytes");
        }
        return suite().setupBaseS(new X25519PublicKeyParameters(recipientPublic), info, ephemeral);
    }

    static HPKEContext receiverContext(byte[] enc, AsymmetricCipherKeyPair recipient, byte[] info) {
        return suite().setupBaseR(enc, recipient, info);
    }

    /** The suite's DeriveKeyPair (RFC 9180 section 7.1.3). */
    static AsymmetricCipherKeyPair deriveKeyPair(byte[] ikm) {
        return suite().deriveKeyPair(ikm);
    }

    static AsymmetricCipherKeyPair keyPair(byte[] x25519Private) {
        if (x25519Private.length != 32) {
            throw new CryptoException("X25519 private keys are 32 bytes");
        }
        X25519PrivateKeyParameters privateKey = new X25519PrivateKeyParameters(x25519Private);
        return new AsymmetricCipherKeyPair(privateKey.generatePublicKey(), privateKey);
    }

    private static HPKE suite() {
        return new HPKE(HPKE.mode_base, HPKE.kem_X25519_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM128);
    }
}
