package dev.fastchat.client;

/**
 * A text message sealed ahead of sending (see {@link ChatClient#prepare}): its client message id and sealed
 * bytes are fixed, so sending it again is idempotent. Sealed for the members the target had when it was
 * prepared.
 */
public record PreparedMessage(Target target, String conversationId, String clientMsgId, byte[] sealed) {}
