package dev.fastchat.client;

import java.util.List;

/**
 * Unread counts, direct messages and groups apart.
 *
 * @param conversations every conversation of the user
 * @param directUnread unread direct messages
 * @param groupUnread unread group messages
 */
public record UnreadSummary(List<ConversationUnread> conversations, long directUnread, long groupUnread) {}
