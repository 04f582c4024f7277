package dev.fastchat.storage;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Groups and their members. Every change is checked and applied in one transaction, so concurrent changes
 * cannot leave a group without the checks having held. Writes fail with {@link ConversationRefusedException}
 * when a rule is broken.
 */
public interface GroupRepository {

    /** Creates a group whose only member, its admin, is {@code creatorId}; fails with {@link NameTakenException}. */
    CompletableFuture<GroupMembership> create(String name, long creatorId, Instant now);

    Optional<Group> findByName(String name);

    /** The user's membership of a group: role null if not a current member. */
    Optional<GroupMembership> membership(long groupId, long accountId);

    /**
     * Adds a member (admin only); adding a current member changes nothing. Fails with {@code GROUP_FULL} if
     * the group has {@code maxMembers} members already (checked in the transaction that adds).
     */
    CompletableFuture<MembershipChange> add(long groupId, long actorId, long accountId, int maxMembers, Instant now);

    /**
     * Invites a user (admin only): they become a member when they accept. Fails with {@code BLOCKED} if the
     * user has blocked the inviter.
     */
    CompletableFuture<InviteOutcome> invite(long groupId, long actorId, long accountId, Instant now);

    /**
     * Accepts the user's invitation: they become a member (seeing messages from now on). Fails with
     * {@code NOT_INVITED} without one, {@code GROUP_FULL} if the group has {@code maxMembers} already.
     */
    CompletableFuture<AcceptedInvitation> accept(long groupId, long accountId, int maxMembers, Instant now);

    /** Declines the user's invitation. Fails with {@code NOT_INVITED} without one; returns who had invited them. */
    CompletableFuture<Long> decline(long groupId, long accountId);

    /** The user's open invitations, oldest first. */
    List<GroupInvitation> invitations(long accountId);

    /** Removes a member (admin only). They keep what they had and see nothing new. */
    CompletableFuture<MembershipChange> remove(long groupId, long actorId, long accountId);

    /** Makes a member an admin (admin only). */
    CompletableFuture<MembershipChange> promote(long groupId, long actorId, long accountId);

    /** Leaves; if the last admin leaves, the member who joined first becomes admin. */
    CompletableFuture<MembershipChange> leave(long groupId, long accountId);

    /** The groups the user currently belongs to, by name. */
    List<GroupMembership> groupsOf(long accountId);

    /** Current members with their keys, oldest first. */
    List<GroupMember> members(long groupId);
}
