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
