/**
 * End-to-end encryption for FastChat clients: password-derived keys, identity keys and their sealed
 * backup. Built on JDK primitives (AES-GCM, HKDF, SHA-256, SecureRandom) and BouncyCastle (Argon2id,
 * X25519, Ed25519). Performs no I/O.
 */
package dev.fastchat.crypto;
