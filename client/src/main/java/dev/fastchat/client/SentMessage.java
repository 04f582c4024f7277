package dev.fastchat.client;

import java.time.Instant;

/**
 * A message the server has acknowledged: it is stored durably.
 *
 * @param conversationId the conversation
 * @param seq its place there
 * @param clientMsgId the id this client gave it
 * @param serverTime when the server stored it
 */
public record SentMessage(String conversationId, long seq, String clientMsgId, Instant serverTime) {}
