package dev.fastchat.storage;

/**
 * A user's trust state as their client sealed it: opaque bytes and the version they replace the stored one
 * with. Version 0 with no bytes is "none stored yet".
 */
public record TrustState(long version, byte[] sealed) {
    /** No state stored yet. */
    public static final TrustState NONE = new TrustState(0, new byte[0]);
}
