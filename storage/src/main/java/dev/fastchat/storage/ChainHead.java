package dev.fastchat.storage;

/**
 * Where a group's membership chain stands: its id, how many statements it has, and the SHA-256 of the last
 * one's bytes (empty for a group made before signed membership, which has none).
 */
public record ChainHead(byte[] chainId, long length, byte[] head) {}
