package dev.fastchat.storage;

/**
 * A salted hash of an account's auth key.
 *
 * @param salt random per-account salt
 * @param hash SHA-256(salt || auth key)
 */
public record Credential(byte[] salt, byte[] hash) {}
