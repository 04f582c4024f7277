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
    default CompletableFuture<GroupMembership> create(String name, long creatorId, Instant now) {
        return create(name, creatorId, now, ChainLink.NONE);
    }

    /** {@link #create(String, long, Instant)}, starting the group's membership chain with {@code link} (index 0). */
    CompletableFuture<GroupMembership> create(String name, long creatorId, Instant now, ChainLink link);

    /** The group's membership chain: its statements' bytes, oldest first. */
    List<byte[]> statements(long groupId);

    /** Where the group's membership chain stands. */
    ChainHead chainHead(long groupId);

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
    default CompletableFuture<InviteOutcome> invite(long groupId, long actorId, long accountId, Instant now) {
        return invite(groupId, actorId, accountId, now, ChainLink.NONE);
    }

    /** The same, storing {@code link} (the change's signed statement) with the change. */
    CompletableFuture<InviteOutcome> invite(long groupId, long actorId, long accountId, Instant now, ChainLink link);

    /**
     * Accepts the user's invitation: they become a member (seeing messages from now on). Fails with
     * {@code NOT_INVITED} without one, {@code GROUP_FULL} if the group has {@code maxMembers} already.
     */
    default CompletableFuture<AcceptedInvitation> accept(long groupId, long accountId, int maxMembers, Instant now) {
        return accept(groupId, accountId, maxMembers, now, ChainLink.NONE);
    }

    /** The same, storing {@code link} (the change's signed statement) with the change. */
    CompletableFuture<AcceptedInvitation> accept(long groupId, long accountId, int maxMembers, Instant now, ChainLink link);

    /** Declines the user's invitation. Fails with {@code NOT_INVITED} without one; returns who had invited them. */
    default CompletableFuture<Long> decline(long groupId, long accountId) {
        return decline(groupId, accountId, ChainLink.NONE);
    }

    /** The same, storing {@code link} (the change's signed statement) with the change. */
    CompletableFuture<Long> decline(long groupId, long accountId, ChainLink link);

    /** The user's open invitations, oldest first. */
    List<GroupInvitation> invitations(long accountId);

    /** Removes a member (admin only). They keep what they had and see nothing new. */
    default CompletableFuture<MembershipChange> remove(long groupId, long actorId, long accountId) {
        return remove(groupId, actorId, accountId, ChainLink.NONE);
    }

    /** The same, storing {@code link} (the change's signed statement) with the change. */
    CompletableFuture<MembershipChange> remove(long groupId, long actorId, long accountId, ChainLink link);

    /** Makes a member an admin (admin only). */
    default CompletableFuture<MembershipChange> promote(long groupId, long actorId, long accountId) {
        return promote(groupId, actorId, accountId, ChainLink.NONE);
    }

    /** The same, storing {@code link} (the change's signed statement) with the change. */
    CompletableFuture<MembershipChange> promote(long groupId, long actorId, long accountId, ChainLink link);

    /**
     * Leaves; if the last admin leaves, the member who joined first becomes admin (only where no statement is
     * given: with one, the last admin must promote someone first, by statement, else {@code LAST_ADMIN}).
     */
    default CompletableFuture<MembershipChange> leave(long groupId, long accountId) {
        return leave(groupId, accountId, ChainLink.NONE);
    }

    /** The same, storing {@code link} (the change's signed statement) with the change. */
    CompletableFuture<MembershipChange> leave(long groupId, long accountId, ChainLink link);

    /** The groups the user currently belongs to, by name. */
    List<GroupMembership> groupsOf(long accountId);

    /** Current members with their keys, oldest first. */
    List<GroupMember> members(long groupId);
}
