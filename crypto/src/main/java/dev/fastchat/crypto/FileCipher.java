package dev.fastchat.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;

/**
 * Encrypts files chunk by chunk with AES-256-GCM under a fresh key per file (DESIGN.md section 5). The key
 * is used for one file only, so the nonce is simply the chunk index; the associated data binds each chunk
 * to its file id, its index and the file's chunk count, so chunks cannot be reordered, dropped, swapped
 * with another file's, or the file cut short, without {@link #decrypt} failing.
 */
public final class FileCipher {
    /** Bytes a chunk grows by when encrypted (the GCM tag). */
    public static final int OVERHEAD = 16;
    public static final int KEY_BYTES = 32;
    private static final byte[] CONTEXT = "fastchat v1 file chunk".getBytes(StandardCharsets.US_ASCII);
    private static final int NONCE_BYTES = 12;

    private FileCipher() {}

    /** A fresh random file key. */
    public static byte[] newKey(SecureRandom random) {
        byte[] key = new byte[KEY_BYTES];
        random.nextBytes(key);
        return key;
    }

    /** Encrypts chunk {@code index} of {@code chunkCount} of file {@code fileId}. */
    public static byte[] encrypt(byte[] key, String fileId, int index, int chunkCount, byte[] plaintext, int length) {
        try {
            Cipher cipher = cipher(Cipher.ENCRYPT_MODE, key, fileId, index, chunkCount);
            return cipher.doFinal(plaintext, 0, length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /**
     * Decrypts and authenticates a chunk.
     *
     * @throws OpenException with {@code TAMPERED} if the chunk was altered or does not belong at this place
     *     of this file
     */
    public static byte[] decrypt(byte[] key, String fileId, int index, int chunkCount, byte[] ciphertext) {
        try {
            return cipher(Cipher.DECRYPT_MODE, key, fileId, index, chunkCount).doFinal(ciphertext);
        } catch (AEADBadTagException e) {
            throw new OpenException(OpenException.Reason.TAMPERED,
                    "chunk " + index + " of file " + fileId + " was altered, or belongs elsewhere", e);
        } catch (GeneralSecurityException e) {
            throw new OpenException(OpenException.Reason.MALFORMED, "chunk " + index + " of file " + fileId + " does not decrypt", e);
        }
    }

    private static Cipher cipher(int mode, byte[] key, String fileId, int index, int chunkCount) throws GeneralSecurityException {
        if (key.length != KEY_BYTES) {
            throw new OpenException(OpenException.Reason.MALFORMED, "a file key has " + KEY_BYTES + " bytes");
        }
        byte[] nonce = ByteBuffer.allocate(NONCE_BYTES).putInt(NONCE_BYTES - 4, index).array();
        byte[] id = fileId.getBytes(StandardCharsets.UTF_8);
        return AesGcm.cipher(mode, key, nonce, ByteBuffer.allocate(CONTEXT.length + 4 + id.length + 8)
                .put(CONTEXT).putInt(id.length).put(id).putInt(index).putInt(chunkCount).array());
    }
}
