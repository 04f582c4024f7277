package dev.fastchat.storage;

import java.util.List;

/**
 * The result of a committed membership change.
 *
 * @param group the group after the change, as the actor sees it
 * @param members current members after the change
 * @param changed whether anything changed (adding a current member does not)
 * @param promoted who became admin because the last admin left, or 0
 */
public record MembershipChange(GroupMembership group, List<Long> members, boolean changed, long promoted) {}
