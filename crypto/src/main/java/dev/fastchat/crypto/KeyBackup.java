package dev.fastchat.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;

/**
 * Seals identity private keys under the password-derived backup key (AES-256-GCM), so the server can
 * store them without being able to read them and the same password restores them on a new machine.
 *
 * <p>Format: {@code version (1) || nonce (12) || AES-256-GCM(x25519 private || ed25519 private) (64 + 16)}.
 * The associated data binds the blob to the username, so a backup cannot be swapped between accounts.
 */
public final class KeyBackup {
    private static final byte VERSION = 1;
    private static final int NONCE_BYTES = 12;
    /** Length of a sealed backup in bytes. */
    public static final int SEALED_LENGTH = 1 + NONCE_BYTES + 64 + AesGcm.TAG_BITS / 8;

    private KeyBackup() {}

    /** Seals {@code identity} for {@code username} under {@code backupKey} (32 bytes). */
    public static byte[] seal(IdentityKeyPair identity, byte[] backupKey, String username, SecureRandom random) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        byte[] plain = ByteBuffer.allocate(64).put(identity.x25519Private()).put(identity.ed25519Private()).array();
        try {
            Cipher cipher = cipher(Cipher.ENCRYPT_MODE, backupKey, nonce, username);
            return ByteBuffer.allocate(SEALED_LENGTH).put(VERSION).put(nonce).put(cipher.doFinal(plain)).array();
        } catch (GeneralSecurityException e) {
            throw new CryptoException("sealing the key backup failed", e);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /**
     * Opens a backup made by {@link #seal}.
     *
     * @throws CryptoException if the key or username is wrong or the blob was altered
     */
    public static IdentityKeyPair open(byte[] sealed, byte[] backupKey, String username) {
        if (sealed.length != SEALED_LENGTH || sealed[0] != VERSION) {
            throw new CryptoException("not a version " + VERSION + " key backup");
        }
        byte[] nonce = Arrays.copyOfRange(sealed, 1, 1 + NONCE_BYTES);
        byte[] plain = null;
        try {
            Cipher cipher = cipher(Cipher.DECRYPT_MODE, backupKey, nonce, username);
            plain = cipher.doFinal(sealed, 1 + NONCE_BYTES, sealed.length - 1 - NONCE_BYTES);
            return IdentityKeyPair.fromPrivateKeys(Arrays.copyOfRange(plain, 0, 32), Arrays.copyOfRange(plain, 32, 64));
        } catch (AEADBadTagException e) {
            throw new CryptoException("the key backup does not open with this password (or was altered)", e);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("opening the key backup failed", e);
        } finally {
            if (plain != null) {
                Arrays.fill(plain, (byte) 0);
            }
        }
    }

    private static Cipher cipher(int mode, byte[] key, byte[] nonce, String username) throws GeneralSecurityException {
        if (key.length != 32) {
            throw new CryptoException("backup key must be 32 bytes");
        }
        return AesGcm.cipher(mode, key, nonce, ("fastchat key backup v1\0" + username).getBytes(StandardCharsets.UTF_8));
    }
}
