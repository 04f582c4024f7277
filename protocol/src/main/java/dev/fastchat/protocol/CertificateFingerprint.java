package dev.fastchat.protocol;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * How servers print and clients pin a TLS certificate: {@code SHA256:} and the Base64 (unpadded) SHA-256 of
 * its DER encoding, as OpenSSH prints host keys.
 */
public final class CertificateFingerprint {
    private CertificateFingerprint() {}

    /** The fingerprint of a DER-encoded certificate. */
    public static String of(byte[] der) {
        try {
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256").digest(der));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }
}
