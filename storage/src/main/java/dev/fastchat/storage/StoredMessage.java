package dev.fastchat.storage;

import java.time.Instant;

/**
 * A committed message.
 *
 * @param conversationId the conversation's wire id
 * @param seq its place in the conversation, from 1
 * @param senderId the sender's account id
 * @param senderName the sender's name
 * @param clientMsgId the id the sender chose
 * @param sealed the end-to-end encrypted message, opaque here
 * @param createdAt when the server stored it
 * @param groupName the group's name, or empty for a direct message
 */
public record StoredMessage(String conversationId, long seq, long senderId, String senderName, String clientMsgId,
                            byte[] sealed, Instant createdAt, String groupName) {}
