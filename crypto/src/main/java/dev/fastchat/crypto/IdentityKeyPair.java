package dev.fastchat.crypto;

import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;

/**
 * A user's long-term identity: an X25519 key pair for encryption and an Ed25519 key pair for
 * signatures. Private keys are raw 32-byte values; they never leave the client unsealed.
 */
public final class IdentityKeyPair {
    private final byte[] x25519Private;
    private final byte[] ed25519Private;
    private final PublicIdentity publicIdentity;
    /** Parsed once: deriving the public halves is the expensive part of every signature and decryption. */
    private final Ed25519PrivateKeyParameters signingKey;
    private final AsymmetricCipherKeyPair encryptionKeyPair;

    private IdentityKeyPair(byte[] x25519Private, byte[] ed25519Private) {
        this.x25519Private = x25519Private.clone();
        this.ed25519Private = ed25519Private.clone();
        this.signingKey = new Ed25519PrivateKeyParameters(ed25519Private);
        this.encryptionKeyPair = Hpke.keyPair(x25519Private);
        this.publicIdentity = new PublicIdentity(
                ((X25519PublicKeyParameters) encryptionKeyPair.getPublic()).getEncoded(),
                signingKey.generatePublicKey().getEncoded());
    }

    Ed25519PrivateKeyParameters signingKey() {
        return signingKey;
    }

    AsymmetricCipherKeyPair encryptionKeyPair() {
        return encryptionKeyPair;
    }

    /** A fresh identity from {@code random}. */
    public static IdentityKeyPair generate(SecureRandom random) {
        return new IdentityKeyPair(
                new X25519PrivateKeyParameters(random).getEncoded(),
                new Ed25519PrivateKeyParameters(random).getEncoded());
    }

    /** Rebuilds an identity from its two raw 32-byte private keys. */
    public static IdentityKeyPair fromPrivateKeys(byte[] x25519Private, byte[] ed25519Private) {
        if (x25519Private.length != 32 || ed25519Private.length != 32) {
            throw new CryptoException("identity private keys must be 32 bytes each");
        }
        return new IdentityKeyPair(x25519Private, ed25519Private);
    }

    /** The public halves, safe to publish. */
    public PublicIdentity publicIdentity() {
        return publicIdentity;
    }

    /** A copy of the raw X25519 private key. */
    public byte[] x25519Private() {
        return x25519Private.clone();
    }

    /** A copy of the raw Ed25519 private key. */
    public byte[] ed25519Private() {
        return ed25519Private.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IdentityKeyPair other
                && Arrays.equals(x25519Private, other.x25519Private)
                && Arrays.equals(ed25519Private, other.ed25519Private);
    }

    @Override
    public int hashCode() {
        return publicIdentity.hashCode();
    }

    @Override
    public String toString() {
        return "IdentityKeyPair[" + publicIdentity + "]";
    }
}
