package dev.fastchat.crypto;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The public half of an identity.
 *
 * @param x25519 raw 32-byte X25519 public key
 * @param ed25519 raw 32-byte Ed25519 public key
 */
public record PublicIdentity(byte[] x25519, byte[] ed25519) {
    public PublicIdentity {
        if (x25519.length != 32 || ed25519.length != 32) {
            throw new CryptoException("public identity keys must be 32 bytes each");
        }
        x25519 = x25519.clone();
        ed25519 = ed25519.clone();
    }

    @Override
    public byte[] x25519() {
        return x25519.clone();
    }

    @Override
    public byte[] ed25519() {
        return ed25519.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PublicIdentity other
                && Arrays.equals(x25519, other.x25519)
                && Arrays.equals(ed25519, other.ed25519);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(x25519) + Arrays.hashCode(ed25519);
    }

    @Override
    public String toString() {
        return "PublicIdentity[ed25519=" + HexFormat.of().formatHex(ed25519, 0, 8) + "...]";
    }
}
