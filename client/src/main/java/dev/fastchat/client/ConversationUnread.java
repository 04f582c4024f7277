package dev.fastchat.client;

/**
 * One conversation's unread count.
 *
 * @param conversationId its id
 * @param conversation the other user or the group
 * @param lastSeq the newest message
 * @param readSeq the read cursor (shared by all of the user's devices)
 * @param unread messages from others after the read cursor
 */
public record ConversationUnread(String conversationId, Target conversation, long lastSeq, long readSeq, long unread) {}
