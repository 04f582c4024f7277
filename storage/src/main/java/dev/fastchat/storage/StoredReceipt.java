package dev.fastchat.storage;

/**
 * A delivered or read receipt: member {@code fromId} got (or read) the messages of {@code toId} in a conversation up to
 * {@code upToSeq}; sealed to {@code toId} alone, opaque here.
 *
 * @param kind 1 delivered, 2 read
 */
public record StoredReceipt(String conversationId, long fromId, long toId, int kind, long upToSeq, byte[] sealed) {}
