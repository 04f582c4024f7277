package dev.fastchat.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;

/**
 * Seals a user's trust state (the contacts' keys they pinned and verified) for the server to keep, so that
 * their other and future devices trust exactly what they trusted. The key is derived with HKDF-SHA256 from
 * the user's identity private keys, which a new device restores from the password-sealed key backup; so a
 * device without the password (a kept session) can seal too, and the server, holding neither, reads nothing.
 *
 * <p>Format: {@code format (1) || nonce (12) || AES-256-GCM(state)}. The associated data binds the blob to
 * the username and to its version, so the server can neither move a state to another account nor pass an
 * old state off as a newer version.
 */
public final class SealedTrustState {
    private static final byte FORMAT = 1;
    private static final int NONCE_BYTES = 12;
    private static final byte[] KEY_INFO = "fastchat trust state key v1".getBytes(StandardCharsets.US_ASCII);

    private SealedTrustState() {}

    /** Seals {@code state} as {@code username}'s trust state of {@code version}. */
    public static byte[] seal(IdentityKeyPair identity, String username, long version, byte[] state, SecureRandom random) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            byte[] ciphertext = cipher(Cipher.ENCRYPT_MODE, identity, nonce, username, version).doFinal(state);
            return ByteBuffer.allocate(1 + NONCE_BYTES + ciphertext.length).put(FORMAT).put(nonce).put(ciphertext).array();
        } catch (GeneralSecurityException e) {
            throw new CryptoException("sealing the trust state failed", e);
        }
    }

    /**
     * Opens what {@link #seal} made.
     *
     * @throws CryptoException if it was sealed by other keys, for another user or version, or altered
     */
    public static byte[] open(IdentityKeyPair identity, String username, long version, byte[] sealed) {
        if (sealed.length < 1 + NONCE_BYTES + AesGcm.TAG_BITS / 8 || sealed[0] != FORMAT) {
            throw new CryptoException("not a sealed trust state of format " + FORMAT);
        }
        byte[] nonce = Arrays.copyOfRange(sealed, 1, 1 + NONCE_BYTES);
        try {
            return cipher(Cipher.DECRYPT_MODE, identity, nonce, username, version)
                    .doFinal(sealed, 1 + NONCE_BYTES, sealed.length - 1 - NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw new CryptoException("the trust state does not open with these keys as version " + version
                    + " of " + username + " (altered, or an older one relabelled)", e);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("opening the trust state failed", e);
        }
    }

    private static Cipher cipher(int mode, IdentityKeyPair identity, byte[] nonce, String username, long version)
            throws GeneralSecurityException {
        byte[] ikm = ByteBuffer.allocate(64).put(identity.x25519Private()).put(identity.ed25519Private()).array();
        byte[] key = Hkdf.sha256(ikm, new byte[0], KEY_INFO, 32);
        Arrays.fill(ikm, (byte) 0);
        byte[] name = username.getBytes(StandardCharsets.UTF_8);
        Cipher cipher = AesGcm.cipher(mode, key, nonce, ByteBuffer.allocate(24 + name.length + 8)
                .put("fastchat trust state v1\0".getBytes(StandardCharsets.US_ASCII)).put(name).putLong(version).array());
        Arrays.fill(key, (byte) 0);
        return cipher;
    }
}
