package dev.fastchat.storage;

/**
 * One conversation of a user, with its unread count.
 *
 * @param conversationId the wire id
 * @param direct whether it is a direct conversation (else a group)
 * @param name the other user's name, or the group's
 * @param lastSeq the newest seq the user can see
 * @param readSeq the user's read cursor
 * @param unread messages from others after the read cursor
 */
public record ConversationSummary(String conversationId, boolean direct, String name, long lastSeq, long readSeq,
                                  long unread) {}
