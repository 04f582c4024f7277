package dev.fastchat.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A number two users compare out of band (read aloud, side by side) to be sure they hold each other's real
 * identity keys. Each side contributes 30 digits computed from its name and public keys (SHA-512 iterated
 * 5,200 times, as Signal's fingerprints, to make finding a colliding key costly); the two halves are put in
 * name order, so both users see the same 60 digits.
 */
public final class SafetyNumber {
    private static final int ITERATIONS = 5200;
    private static final byte[] VERSION = {0, 1};

    private SafetyNumber() {}

    /** The safety number of two users, as 12 groups of 5 digits separated by spaces. */
    public static String of(String nameA, PublicIdentity a, String nameB, PublicIdentity b) {
        String halfA = half(nameA, a);
        String halfB = half(nameB, b);
        String digits = nameA.compareTo(nameB) <= 0 ? halfA + halfB : halfB + halfA;
        StringBuilder grouped = new StringBuilder();
        for (int i = 0; i < digits.length(); i += 5) {
            if (i > 0) {
                grouped.append(i == 30 ? "  " : " ");
            }
            grouped.append(digits, i, i + 5);
        }
        return grouped.toString();
    }

    private static String half(String name, PublicIdentity identity) {
        MessageDigest sha512;
        try {
            sha512 = MessageDigest.getInstance("SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-512", e);
        }
        byte[] keys = new byte[64];
        System.arraycopy(identity.ed25519(), 0, keys, 0, 32);
        System.arraycopy(identity.x25519(), 0, keys, 32, 32);
        sha512.update(VERSION);
        sha512.update(keys);
        sha512.update(name.getBytes(StandardCharsets.UTF_8));
        byte[] hash = sha512.digest();
        for (int i = 1; i < ITERATIONS; i++) {
            sha512.update(hash);
            sha512.update(keys);
            hash = sha512.digest();
        }
        StringBuilder digits = new StringBuilder(30);
        for (int chunk = 0; chunk < 6; chunk++) {
            long value = 0;
            for (int i = 0; i < 5; i++) {
                value = (value << 8) | (hash[chunk * 5 + i] & 0xFF);
            }
            digits.append(String.format("%05d", value % 100_000));
        }
        return digits.toString();
    }
}
