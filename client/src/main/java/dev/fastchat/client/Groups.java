package dev.fastchat.client;

import dev.fastchat.client.internal.Messenger;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ListGroups;
import dev.fastchat.protocol.v1.ListMembers;
import dev.fastchat.protocol.v1.MembershipAction;
import dev.fastchat.protocol.v1.Role;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Groups: the ones this user belongs to, their members, and the changes a member makes, each signed as the next
 * statement of the group's membership chain. Invitations to groups are {@link ChatClient#invitations()}. Got from
 * {@link ChatClient#groups()}; needs a log-in.
 */
public final class Groups {
    private final ChatClient client;

    Groups(ChatClient client) {
        this.client = client;
    }


    /** Creates a group with this user as its admin. Fails with {@code ACCOUNT_EXISTS} if the name is taken. */
    public CompletableFuture<ChatGroup> create(String name) {
        return client.work(m -> Messenger.group(m.groups().create(name)));
    }

    /**
     * Invites a user to a group (admins only: {@code NOT_ADMIN}): they become a member when they accept
     * ({@link Invitations#accept}). Fails with {@code ALREADY_MEMBER} for a member, {@code BLOCKED} if the user
     * has blocked this one; inviting twice is not an error.
     */
    public CompletableFuture<ChatGroup> add(String group, String user) {
        return groupChange(group, MembershipAction.INVITE, user);
    }

    /** Removes a member (admins only); they keep what they had and receive nothing new. */
    public CompletableFuture<ChatGroup> remove(String group, String user) {
        return groupChange(group, MembershipAction.REMOVE, user);
    }

    /** Makes a member an admin (admins only). */
    public CompletableFuture<ChatGroup> promote(String group, String user) {
        return groupChange(group, MembershipAction.PROMOTE, user);
    }

    /** Leaves a group; the last admin first promotes the longest-standing member. */
    public CompletableFuture<ChatGroup> leave(String group) {
        return groupChange(group, MembershipAction.LEAVE, null);
    }

    /** The groups this user belongs to. */
    public CompletableFuture<List<ChatGroup>> list() {
        return client.work(m -> Messenger.await(client.sessionRequest(Envelope.newBuilder().setListGroups(ListGroups.getDefaultInstance())))
                .getGroupList().getGroupsList().stream().map(Messenger::group).toList());
    }

    /** A group's members (members only). */
    public CompletableFuture<List<GroupMember>> members(String group) {
        return client.work(m -> Messenger.await(client.sessionRequest(Envelope.newBuilder().setListMembers(ListMembers.newBuilder()
                        .setGroup(group)))).getMemberList().getMembersList().stream()
                .map(member -> new GroupMember(member.getUser().getAccountId(), member.getUser().getUsername(),
                        member.getRole() == Role.ADMIN, Instant.ofEpochMilli(member.getJoinedAtMs()), member.getOnline()))
                .toList());
    }

    /** A membership change by this user, signed as the next statement of the group's verified chain. */
    private CompletableFuture<ChatGroup> groupChange(String group, MembershipAction action, String subject) {
        return client.work(m -> Messenger.group(m.groups().change(group, action, subject)));
    }
}
