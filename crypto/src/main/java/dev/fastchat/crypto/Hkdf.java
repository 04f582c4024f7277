package dev.fastchat.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.KDF;
import javax.crypto.spec.HKDFParameterSpec;

/** HKDF-SHA256 (RFC 5869) from the JDK's {@link KDF} API. */
public final class Hkdf {
    private Hkdf() {}

    /**
     * Extract-then-expand.
     *
     * @param ikm input keying material
     * @param salt optional salt; empty means the RFC's default (zeros)
     * @param info context and application specific information
     * @param length output length in bytes
     */
    public static byte[] sha256(byte[] ikm, byte[] salt, byte[] info, int length) {
        try {
            KDF kdf = KDF.getInstance("HKDF-SHA256");
            HKDFParameterSpec.Builder extract = HKDFParameterSpec.ofExtract().addIKM(ikm);
            if (salt.length > 0) {
                extract.addSalt(salt);
            }
            return kdf.deriveData(extract.thenExpand(info, length));
        } catch (GeneralSecurityException e) {
            throw new CryptoException("HKDF-SHA256 failed", e);
        }
    }
}
