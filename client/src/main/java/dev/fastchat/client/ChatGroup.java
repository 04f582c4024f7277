package dev.fastchat.client;

import java.time.Instant;

/**
 * A group as this user sees it.
 *
 * @param admin whether this user is an admin of it
 * @param member whether this user is a member
 */
public record ChatGroup(long id, String name, String conversationId, boolean member, boolean admin, int memberCount,
                        Instant createdAt) {}
