package dev.fastchat.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** AES-GCM with a 128-bit tag, as every sealed thing here uses it (messages, files, key backups, trust states). */
final class AesGcm {
    static final int TAG_BITS = 128;

    private AesGcm() {}

    /** A cipher for {@code mode} (encrypt or decrypt) under {@code key} and {@code nonce}, {@code aad} already added. */
    static Cipher cipher(int mode, byte[] key, byte[] nonce, byte[] aad) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
        cipher.updateAAD(aad);
        return cipher;
    }
}
