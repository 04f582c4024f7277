package dev.fastchat.storage;

import java.util.List;

/**
 * What an invitation to a group did.
 *
 * @param group the group as the inviter sees it
 * @param members its current members
 * @param outcome whether the user was invited now, had been already, or is a member
 */
public record InviteOutcome(GroupMembership group, List<Long> members, Outcome outcome) {
    public enum Outcome { INVITED, ALREADY_INVITED, ALREADY_MEMBER }
}
