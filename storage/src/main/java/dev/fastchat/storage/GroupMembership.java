package dev.fastchat.storage;

/**
 * A group as one user sees it.
 *
 * @param role the user's role, or null if they are not a member
 * @param memberCount current members
 */
public record GroupMembership(Group group, MemberRole role, int memberCount) {}
