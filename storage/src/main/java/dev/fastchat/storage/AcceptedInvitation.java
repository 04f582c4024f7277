package dev.fastchat.storage;

/**
 * An accepted invitation: the membership change it made, and who had invited the new member.
 *
 * @param change the change (the new member among {@link MembershipChange#members()})
 * @param invitedBy the account that had invited them
 */
public record AcceptedInvitation(MembershipChange change, long invitedBy) {}
