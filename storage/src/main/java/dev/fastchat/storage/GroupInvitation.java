package dev.fastchat.storage;

import java.time.Instant;

/**
 * An invitation to a group, not yet accepted or declined.
 *
 * @param group the group
 * @param invitedById who invited
 * @param invitedBy their name
 * @param createdAt when
 */
public record GroupInvitation(Group group, long invitedById, String invitedBy, Instant createdAt) {}
