package dev.fastchat.storage;

/**
 * Public identity keys of an account.
 *
 * @param keyId increments when an account replaces its keys
 * @param x25519Public raw 32-byte X25519 public key
 * @param ed25519Public raw 32-byte Ed25519 public key
 */
public record IdentityKeys(int keyId, byte[] x25519Public, byte[] ed25519Public) {}
