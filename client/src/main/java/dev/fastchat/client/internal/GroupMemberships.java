package dev.fastchat.client.internal;

import com.google.protobuf.ByteString;
import dev.fastchat.client.ChatException;
import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.crypto.MembershipChain;
import dev.fastchat.protocol.v1.AddMember;
import dev.fastchat.protocol.v1.AnswerInvitation;
import dev.fastchat.protocol.v1.CreateGroup;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.GroupInfo;
import dev.fastchat.protocol.v1.LeaveGroup;
import dev.fastchat.protocol.v1.ListInvitations;
import dev.fastchat.protocol.v1.ListMembers;
import dev.fastchat.protocol.v1.Member;
import dev.fastchat.protocol.v1.MemberList;
import dev.fastchat.protocol.v1.MembershipAction;
import dev.fastchat.protocol.v1.PromoteMember;
import dev.fastchat.protocol.v1.RemoveMember;
import dev.fastchat.protocol.v1.SignedStatement;
import dev.fastchat.protocol.v1.UserKeys;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The groups of one logged-in user as their signed membership chains prove them: the member lists the server gives
 * (cached until a change), each checked against its chain before anything is sealed to it, and this user's own changes
 * of membership, each signed as the chain's next statement. Methods block on the server; call them on virtual threads.
 */
public final class GroupMemberships {
    /**
     * How long a send (or a membership change) is tried again while the group's members keep changing under it: each
     * try fetches the members anew, so only a group changed again and again for this long fails it.
     */
    private static final Duration MEMBERS_CHANGING_LIMIT = Duration.ofSeconds(10);

    private final Function<Envelope.Builder, CompletableFuture<Envelope>> rpc;
    private final KeyBook keys;
    private final long myId;
    private final int myKeyId;
    private final IdentityKeyPair identity;
    private final SecureRandom random;
    private final Clock clock;
    private final GroupChains chains;
    private final Map<String, MemberList> groups = new ConcurrentHashMap<>();
    /** The roster each group's membership chain proves, for the member list it came with. */
    private final Map<String, Verified> verified = new ConcurrentHashMap<>();

    private record Verified(MemberList list, MembershipChain.Roster roster) {}

    /** @param chainsFile where the chains this user has verified are kept (a chain is only ever extended) */
    GroupMemberships(Function<Envelope.Builder, CompletableFuture<Envelope>> rpc, KeyBook keys, long myId, int myKeyId,
                     IdentityKeyPair identity, SecureRandom random, Clock clock, Path chainsFile) {
        this.rpc = rpc;
        this.keys = keys;
        this.myId = myId;
        this.myKeyId = myKeyId;
        this.identity = identity;
        this.random = random;
        this.clock = clock;
        this.chains = new GroupChains(chainsFile);
    }

    /** Whether to try again after {@code e}: the members changed meanwhile, and the limit is not reached. */
    static boolean membersChangedMeanwhile(ChatException e, long started) {
        return e.code() == ErrorCode.MEMBERS_CHANGED && System.nanoTime() - started < MEMBERS_CHANGING_LIMIT.toNanos();
    }

    /**
     * The members of {@code group} to seal a message to: the server's list, refused unless its signed membership proves
     * exactly those members.
     */
    public MemberList proven(String group) {
        MemberList members = members(group);
        requireListedAsProven(members, roster(group, members)); // of this very list: a push may have made the cache ask again
        return members;
    }

    /** Forgets every member list (they carry keys: after a key was accepted or changed, the next use asks again). */
    public void forgetMemberLists() {
        groups.clear();
    }

    /** The group's members with keys (cached until a membership change). */
    public MemberList members(String group) {
        MemberList cached = groups.get(group);
        if (cached != null) {
            return cached;
        }
        MemberList fetched = Messenger.await(rpc.apply(Envelope.newBuilder().setListMembers(ListMembers.newBuilder().setGroup(group))))
                .getMemberList();
        fetched.getMembersList().forEach(member -> keys.remember(member.getUser()));
        groups.put(group, fetched);
        return fetched;
    }

    /**
     * Refuses to seal to a group whose members, as the server lists them, are not exactly those its signed
     * membership proves: someone the server added on its own gets nothing, and a removal holds even if the
     * server forgot it.
     */
    private void requireListedAsProven(MemberList members, MembershipChain.Roster roster) {
        java.util.Set<Long> listed = new java.util.LinkedHashSet<>();
        members.getMembersList().forEach(member -> listed.add(member.getUser().getAccountId()));
        if (listed.equals(roster.members().keySet())) {
            return;
        }
        List<String> unproven = members.getMembersList().stream().map(Member::getUser)
                .filter(user -> !roster.isMember(user.getAccountId())).map(UserKeys::getUsername).toList();
        List<String> dropped = roster.members().keySet().stream().filter(id -> !listed.contains(id))
                .map(id -> keys.user(id).getUsername()).toList();
        String group = members.getGroup().getName();
        StringBuilder why = new StringBuilder("the server's members of #" + group + " are not those its signed membership proves:");
        if (!unproven.isEmpty()) {
            why.append(" it lists ").append(String.join(", ", unproven)).append(" without a signed statement adding them;");
        }
        if (!dropped.isEmpty()) {
            why.append(" it leaves out ").append(String.join(", ", dropped)).append(" without a signed statement removing them;");
        }
        throw new ChatException(ErrorCode.UNTRUSTED_SERVER, why + " not sending (nothing is sealed to a membership the server made up)");
    }

    /** The roster {@code group}'s membership chain proves (verified once per member list fetched). */
    public MembershipChain.Roster roster(String group) {
        return roster(group, members(group));
    }

    /** The roster {@code list}, the members of {@code group} as the server listed them, proves. */
    private MembershipChain.Roster roster(String group, MemberList list) {
        Verified known = verified.get(group);
        if (known != null && known.list() == list) {
            return known.roster();
        }
        MembershipChain.Roster roster;
        try {
            roster = chains.verify(list, signers(list));
        } catch (ChatException e) {
            forget(group); // asked again next time: the server may have put it right
            throw e;
        }
        verified.put(group, new Verified(list, roster));
        return roster;
    }

    /**
     * The keys a group's statements are checked with: the signer's current key when it is the one signed with
     * (and it must not have changed since it was pinned), else the earlier key the server says they had.
     */
    private MembershipChain.Keys signers(MemberList list) {
        Map<String, byte[]> earlier = new java.util.HashMap<>();
        list.getEarlierKeysList().forEach(keys -> earlier.put(keys.getAccountId() + "/" + keys.getIdentity().getKeyId(),
                keys.getIdentity().getEd25519Public().toByteArray()));
        return (accountId, keyId) -> {
            byte[] old = earlier.get(accountId + "/" + keyId);
            if (old != null) {
                return old;
            }
            if (accountId == myId) {
                return keyId == myKeyId ? identity.publicIdentity().ed25519() : null;
            }
            UserKeys signer = keys.user(accountId);
            if (signer.getIdentity().getKeyId() != keyId) {
                return null;
            }
            keys.requireTrusted(signer);
            return signer.getIdentity().getEd25519Public().toByteArray();
        };
    }

    /** Forgets what is cached of a group (its members and their proof), so that the next use asks again. */
    public void forget(String group) {
        groups.remove(group);
        verified.remove(group);
    }

    // ---- changes, each with its signed statement

    /** Creates a group, starting its membership chain. */
    public GroupInfo create(String name) {
        String group = Messenger.canonical(name);
        SignedStatement statement = GroupChains.create(group, myId, myKeyId, identity, clock.millis(), random);
        return Messenger.await(rpc.apply(Envelope.newBuilder().setCreateGroup(CreateGroup.newBuilder().setName(group).setStatement(statement))))
                .getGroupInfo();
    }

    /**
     * Makes a change of a group's membership as this user (INVITE, REMOVE, PROMOTE of {@code subject}, or LEAVE),
     * signing it as the next statement of the verified chain; signs again when another change came first. A last
     * admin who leaves promotes the member who joined first, by statement, before leaving.
     */
    public GroupInfo change(String groupName, MembershipAction action, String subject) {
        String group = Messenger.canonical(groupName);
        for (long started = System.nanoTime(); ; ) {
            forget(group);
            members(group);
            MembershipChain.Roster roster = roster(group);
            long subjectId = subject == null ? myId : keys.user(Messenger.canonical(subject)).getAccountId();
            if (action == MembershipAction.LEAVE && roster.isAdmin(myId) && roster.members().size() > 1
                    && roster.members().entrySet().stream().filter(Map.Entry::getValue).count() == 1) {
                long successor = roster.members().keySet().stream().filter(id -> id != myId).findFirst().orElseThrow();
                change(group, MembershipAction.PROMOTE, keys.user(successor).getUsername());
                continue;
            }
            SignedStatement statement = GroupChains.next(ByteString.copyFrom(roster.chainId()), roster.length(),
                    ByteString.copyFrom(roster.head()), action, myId, subjectId, myKeyId, identity, clock.millis());
            Envelope.Builder request = switch (action) {
                case INVITE -> Envelope.newBuilder().setAddMember(AddMember.newBuilder().setGroup(group).setUsername(subject)
                        .setStatement(statement));
                case REMOVE -> Envelope.newBuilder().setRemoveMember(RemoveMember.newBuilder().setGroup(group).setUsername(subject)
                        .setStatement(statement));
                case PROMOTE -> Envelope.newBuilder().setPromoteMember(PromoteMember.newBuilder().setGroup(group).setUsername(subject)
                        .setStatement(statement));
                case LEAVE -> Envelope.newBuilder().setLeaveGroup(LeaveGroup.newBuilder().setGroup(group).setStatement(statement));
                default -> throw new IllegalArgumentException("not a change a member makes: " + action);
            };
            try {
                return Messenger.await(rpc.apply(request)).getGroupInfo();
            } catch (ChatException e) {
                if (!membersChangedMeanwhile(e, started)) {
                    throw e;
                }
            } finally {
                forget(group);
            }
        }
    }

    /**
     * Accepts or declines an invitation, signing it as the next statement of the group's chain (as the
     * invitation names it).
     *
     * @return the server's answer: GroupInfo when accepted, Ok when declined
     */
    public Envelope answer(String groupName, boolean accept) {
        String group = Messenger.canonical(groupName);
        for (long started = System.nanoTime(); ; ) {
            GroupInfo info = Messenger.await(rpc.apply(Envelope.newBuilder().setListInvitations(ListInvitations.getDefaultInstance())))
                    .getInvitationList().getInvitationsList().stream().map(dev.fastchat.protocol.v1.Invitation::getGroup)
                    .filter(g -> g.getName().equals(group)).findFirst()
                    .orElseThrow(() -> new ChatException(ErrorCode.NOT_A_MEMBER, "you have no invitation to " + group));
            SignedStatement statement = GroupChains.next(info.getChainId(), info.getChainLength(), info.getChainHead(),
                    accept ? MembershipAction.ACCEPT : MembershipAction.DECLINE, myId, myId, myKeyId, identity, clock.millis());
            try {
                return Messenger.await(rpc.apply(Envelope.newBuilder().setAnswerInvitation(AnswerInvitation.newBuilder().setGroup(group)
                        .setAccept(accept).setStatement(statement))));
            } catch (ChatException e) {
                if (!membersChangedMeanwhile(e, started)) {
                    throw e;
                }
            } finally {
                forget(group);
            }
        }
    }
}
