package dev.fastchat.server.account;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/** Hashing and comparison of the secrets the server checks: auth keys and resume tokens. */
final class Secrets {
    private Secrets() {}

    /**
     * SHA-256 over the parts. A fast hash is enough: both auth keys (Argon2id output) and resume tokens
     * (32 random bytes) have 256 bits of entropy, so a leaked hash cannot be brute-forced.
     */
    static byte[] sha256(byte[]... parts) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (byte[] part : parts) {
                digest.update(part);
            }
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** Constant-time comparison. */
    static boolean equal(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    static byte[] random(SecureRandom random, int bytes) {
        byte[] value = new byte[bytes];
        random.nextBytes(value);
        return value;
    }

    /** A new resume token: 32 random bytes, base64url without padding. */
    static String newToken(SecureRandom random) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random(random, 32));
    }

    /** The stored form of a token. */
    static byte[] tokenHash(String token) {
        return sha256(token.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }
}
