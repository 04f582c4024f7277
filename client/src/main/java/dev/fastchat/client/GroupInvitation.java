package dev.fastchat.client;

import java.time.Instant;

/**
 * An invitation to a group that this user has not answered yet.
 *
 * @param group the group (this user is not a member of it yet)
 * @param invitedBy who invited them
 * @param invitedAt when
 */
public record GroupInvitation(ChatGroup group, String invitedBy, Instant invitedAt) {}
