package dev.fastchat.server.group;

import dev.fastchat.protocol.Names;
import dev.fastchat.protocol.v1.AddMember;
import dev.fastchat.protocol.v1.AnswerInvitation;
import dev.fastchat.protocol.v1.CreateGroup;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.GroupInfo;
import dev.fastchat.protocol.v1.GroupList;
import dev.fastchat.protocol.v1.Invitation;
import dev.fastchat.protocol.v1.InvitationList;
import dev.fastchat.protocol.v1.LeaveGroup;
import dev.fastchat.protocol.v1.ListMembers;
import dev.fastchat.protocol.v1.Member;
import dev.fastchat.protocol.v1.MemberList;
import dev.fastchat.protocol.v1.MembershipChanged.Change;
import dev.fastchat.protocol.v1.MembershipChanged;
import dev.fastchat.protocol.v1.PromoteMember;
import dev.fastchat.protocol.v1.RemoveMember;
import dev.fastchat.protocol.v1.Role;
import dev.fastchat.server.account.KeyDirectoryService;
import dev.fastchat.server.config.MessagingConfig;
import dev.fastchat.server.limits.RateLimiter;
import dev.fastchat.server.session.Connection;
import dev.fastchat.server.session.ConnectionState.LoggedIn;
import dev.fastchat.server.session.RequestRefusedException;
import dev.fastchat.server.session.SessionRegistry;
import dev.fastchat.crypto.MembershipChain;
import dev.fastchat.protocol.v1.MembershipAction;
import dev.fastchat.protocol.v1.MembershipStatement;
import dev.fastchat.protocol.v1.SignedStatement;
import dev.fastchat.storage.Account;
import dev.fastchat.storage.ChainHead;
import dev.fastchat.storage.ChainLink;
import dev.fastchat.storage.IdentityKeys;
import dev.fastchat.storage.AccountRepository;
import dev.fastchat.storage.Group;
import dev.fastchat.storage.GroupInvitation;
import dev.fastchat.storage.GroupMember;
import dev.fastchat.storage.GroupMembership;
import dev.fastchat.storage.GroupRepository;
import dev.fastchat.storage.MemberRole;
import dev.fastchat.storage.MembershipChange;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group chats: create, add, remove, promote, leave, list. Changes are checked and committed by the
 * repository in one transaction (admin rights included); after commit every member, and a removed member,
 * gets {@code MembershipChanged}, so clients refresh the member list they seal to.
 */
public final class GroupService {
    private static final Logger log = LoggerFactory.getLogger(GroupService.class);
    /** Tries at reading a group's members and chain as of one moment while changes keep coming. */
    private static final int CONSISTENT_READ_ATTEMPTS = 5;

    private final GroupRepository groups;
    private final AccountRepository accounts;
    private final SessionRegistry sessions;
    private final MessagingConfig config;
    private final Clock clock;
    private final RateLimiter<Long> creations;
    private final RateLimiter<Long> additions;

    public GroupService(GroupRepository groups, AccountRepository accounts, SessionRegistry sessions, MessagingConfig config,
                        Clock clock) {
        this.groups = groups;
        this.accounts = accounts;
        this.sessions = sessions;
        this.config = config;
        this.clock = clock;
        this.creations = RateLimiter.perPeriod(config.groupCreationsPerMinute(), Duration.ofMinutes(1), clock);
        this.additions = RateLimiter.perPeriod(config.memberAdditionsPerMinute(), Duration.ofMinutes(1), clock);
    }

    /** Takes one of the user's {@code per minute} tokens of {@code limiter}, or refuses with RATE_LIMITED. */
    private static void limit(RateLimiter<Long> limiter, LoggedIn user, int perMinute, String what) {
        limiter.tryTake(user.accountId()).ifPresent(wait -> {
            throw new RequestRefusedException(ErrorCode.RATE_LIMITED,
                    "too many " + what + " (at most " + perMinute + " a minute); try again later", wait);
        });
    }

    public CompletableFuture<Envelope.Builder> create(Connection connection, CreateGroup request) {
        LoggedIn user = connection.state().user();
        String name = Names.canonical(request.getName()).orElseThrow(() -> new RequestRefusedException(ErrorCode.INVALID_NAME,
                "'" + Names.printable(request.getName()) + "' is not a valid group name: " + Names.rule()));
        limit(creations, user, config.groupCreationsPerMinute(), "groups created");
        ChainLink link = Statements.check(request.getStatement(), MembershipAction.CREATE, user.accountId(), keysOf(user),
                user.accountId(), name);
        return groups.create(name, user.accountId(), clock.instant(), link).thenApply(created -> {
            log.info("group {} created by account {}", created.group().id(), user.accountId());
            notify(List.of(user.accountId()), created, Change.CREATED, user.username(), user.username());
            return Envelope.newBuilder().setGroupInfo(info(created));
        });
    }

    /** Invites a user; they become a member when they accept. */
    public CompletableFuture<Envelope.Builder> add(Connection connection, AddMember request) {
        LoggedIn user = connection.state().user();
        Group group = group(request.getGroup());
        Account target = account(request.getUsername());
        limit(additions, user, config.memberAdditionsPerMinute(), "members added");
        ChainLink link = Statements.check(request.getStatement(), MembershipAction.INVITE, user.accountId(), keysOf(user),
                target.id(), group.name());
        return groups.invite(group.id(), user.accountId(), target.id(), clock.instant(), link).thenApply(invited -> {
            switch (invited.outcome()) {
                case ALREADY_MEMBER -> throw new RequestRefusedException(ErrorCode.ALREADY_MEMBER,
                        target.name() + " is already a member of " + group.name());
                case INVITED -> {
                    List<Long> recipients = new ArrayList<>(invited.members());
                    recipients.add(target.id());
                    notify(recipients, invited.group(), Change.INVITED, target.name(), user.username());
                }
                case ALREADY_INVITED -> { } // they were told the first time
            }
            return Envelope.newBuilder().setGroupInfo(info(invited.group()));
        });
    }

    /** The caller's open invitations. */
    public CompletableFuture<Envelope.Builder> invitations(Connection connection) {
        LoggedIn user = connection.state().user();
        InvitationList.Builder list = InvitationList.newBuilder();
        for (GroupInvitation invitation : groups.invitations(user.accountId())) {
            GroupMembership group = groups.membership(invitation.group().id(), user.accountId()).orElseThrow();
            list.addInvitations(Invitation.newBuilder().setGroup(info(group)).setInvitedBy(invitation.invitedBy())
                    .setCreatedAtMs(invitation.createdAt().toEpochMilli()));
        }
        return CompletableFuture.completedFuture(Envelope.newBuilder().setInvitationList(list));
    }

    /** Accepts (joining the group) or declines an invitation; the members are told either way. */
    public CompletableFuture<Envelope.Builder> answer(Connection connection, AnswerInvitation request) {
        LoggedIn user = connection.state().user();
        Group group = group(request.getGroup());
        ChainLink link = Statements.check(request.getStatement(), request.getAccept() ? MembershipAction.ACCEPT : MembershipAction.DECLINE,
                user.accountId(), keysOf(user), user.accountId(), group.name());
        if (request.getAccept()) {
            return groups.accept(group.id(), user.accountId(), config.maxGroupMembers(), clock.instant(), link).thenApply(accepted -> {
                MembershipChange change = accepted.change();
                String inviter = accounts.findById(accepted.invitedBy()).map(Account::name).orElse(user.username());
                if (change.changed()) {
                    notify(change.members(), change.group(), Change.ADDED, user.username(), inviter);
                }
                return Envelope.newBuilder().setGroupInfo(info(change.group()));
            });
        }
        return groups.decline(group.id(), user.accountId(), link).thenApply(inviter -> {
            GroupMembership state = groups.membership(group.id(), user.accountId()).orElseThrow();
            List<Long> recipients = new ArrayList<>(groups.members(group.id()).stream().map(GroupMember::accountId).toList());
            recipients.add(user.accountId());
            notify(recipients, state, Change.DECLINED, user.username(),
                    accounts.findById(inviter).map(Account::name).orElse(""));
            return Envelope.newBuilder().setOk(dev.fastchat.protocol.v1.Ok.getDefaultInstance());
        });
    }

    public CompletableFuture<Envelope.Builder> remove(Connection connection, RemoveMember request) {
        LoggedIn user = connection.state().user();
        Group group = group(request.getGroup());
        Account target = account(request.getUsername());
        ChainLink link = Statements.check(request.getStatement(), MembershipAction.REMOVE, user.accountId(), keysOf(user),
                target.id(), group.name());
        return groups.remove(group.id(), user.accountId(), target.id(), link)
                .thenApply(change -> changed(change, Change.REMOVED, target.name(), user, List.of(target.id())));
    }

    public CompletableFuture<Envelope.Builder> promote(Connection connection, PromoteMember request) {
        LoggedIn user = connection.state().user();
        Group group = group(request.getGroup());
        Account target = account(request.getUsername());
        ChainLink link = Statements.check(request.getStatement(), MembershipAction.PROMOTE, user.accountId(), keysOf(user),
                target.id(), group.name());
        return groups.promote(group.id(), user.accountId(), target.id(), link)
                .thenApply(change -> changed(change, Change.PROMOTED, target.name(), user, List.of()));
    }

    public CompletableFuture<Envelope.Builder> leave(Connection connection, LeaveGroup request) {
        LoggedIn user = connection.state().user();
        Group group = group(request.getGroup());
        ChainLink link = Statements.check(request.getStatement(), MembershipAction.LEAVE, user.accountId(), keysOf(user),
                user.accountId(), group.name());
        return groups.leave(group.id(), user.accountId(), link)
                .thenApply(change -> changed(change, Change.LEFT, user.username(), user, List.of(user.accountId())));
    }

    public CompletableFuture<Envelope.Builder> list(Connection connection) {
        LoggedIn user = connection.state().user();
        GroupList.Builder list = GroupList.newBuilder();
        groups.groupsOf(user.accountId()).forEach(membership -> list.addGroups(info(membership)));
        return CompletableFuture.completedFuture(Envelope.newBuilder().setGroupList(list));
    }

    /** Members with their keys; members only. */
    public CompletableFuture<Envelope.Builder> members(Connection connection, ListMembers request) {
        LoggedIn user = connection.state().user();
        Group group = group(request.getGroup());
        // The members and the chain that proves them, as of one moment: a change commits its statement and its
        // member together, so a chain as long before the members were read as after is the chain of those members.
        // (Read apart, a change in between made clients take the list for one the chain does not prove.)
        List<GroupMember> members;
        List<byte[]> statements;
        for (int attempt = 1; ; attempt++) {
            long before = groups.chainHead(group.id()).length();
            members = groups.members(group.id());
            statements = groups.statements(group.id());
            if (statements.size() == before || attempt == CONSISTENT_READ_ATTEMPTS) {
                break;
            }
        }
        MemberRole myRole = members.stream().filter(m -> m.accountId() == user.accountId()).map(GroupMember::role)
                .findFirst().orElseThrow(() -> new RequestRefusedException(ErrorCode.NOT_A_MEMBER,
                        "you are not a member of " + group.name()));
        MemberList.Builder list = MemberList.newBuilder().setGroup(info(new GroupMembership(group, myRole, members.size())));
        // Signers whose current key is the one they signed with need no more: members' keys are in the list.
        java.util.Set<String> earlier = new java.util.HashSet<>();
        members.forEach(member -> earlier.add(member.accountId() + "/" + member.identity().keyId()));
        for (byte[] statement : statements) {
            SignedStatement signed;
            try {
                signed = SignedStatement.parseFrom(statement);
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new IllegalStateException("a stored membership statement of group " + group.id() + " does not parse", e);
            }
            list.addChain(signed);
            MembershipStatement said = MembershipChain.statement(signed);
            if (earlier.add(said.getActorId() + "/" + said.getSignerKeyId())) {
                accounts.findById(said.getActorId())
                        .filter(actor -> actor.identity().keyId() != said.getSignerKeyId())
                        .flatMap(actor -> accounts.identityKey(actor.id(), said.getSignerKeyId())
                                .map(keys -> KeyDirectoryService.userKeys(actor.id(), actor.name(), keys)))
                        .ifPresent(list::addEarlierKeys);
            }
        }
        for (GroupMember member : members) {
            list.addMembers(Member.newBuilder()
                    .setUser(KeyDirectoryService.userKeys(member.accountId(), member.name(), member.identity()))
                    .setRole(role(member.role()))
                    .setJoinedAtMs(member.joinedAt().toEpochMilli())
                    .setOnline(sessions.isOnline(member.accountId())));
        }
        return CompletableFuture.completedFuture(Envelope.newBuilder().setMemberList(list));
    }

    /** Tells the members (and {@code also}) what changed, and who became admin because of it; answers with the group. */
    private Envelope.Builder changed(MembershipChange change, Change kind, String target, LoggedIn actor, List<Long> also) {
        if (change.changed()) {
            List<Long> recipients = new ArrayList<>(change.members());
            also.forEach(id -> {
                if (!recipients.contains(id)) {
                    recipients.add(id);
                }
            });
            notify(recipients, change.group(), kind, target, actor.username());
            if (change.promoted() != 0) {
                accounts.findById(change.promoted()).ifPresent(promoted ->
                        notify(change.members(), change.group(), Change.PROMOTED, promoted.name(), actor.username()));
            }
        }
        return Envelope.newBuilder().setGroupInfo(info(change.group()));
    }

    private void notify(List<Long> recipients, GroupMembership group, Change change, String username, String by) {
        GroupInfo info = info(new GroupMembership(group.group(), null, group.memberCount()));
        sessions.push(recipients, Envelope.newBuilder().setMembershipChanged(MembershipChanged.newBuilder()
                .setGroup(info).setChange(change).setUsername(username).setBy(by)).build());
    }

    private Group group(String requested) {
        return Names.canonical(requested).flatMap(groups::findByName).orElseThrow(() -> new RequestRefusedException(
                ErrorCode.UNKNOWN_CONVERSATION, "no group named '" + Names.printable(requested) + "'"));
    }

    private Account account(String requested) {
        return Names.canonical(requested).flatMap(accounts::findByName).orElseThrow(() -> new RequestRefusedException(
                ErrorCode.UNKNOWN_USER, "no user named '" + Names.printable(requested) + "'"));
    }

    /** The caller's current identity keys (what their statements must be signed with). */
    private IdentityKeys keysOf(LoggedIn user) {
        return accounts.findById(user.accountId()).map(Account::identity)
                .orElseThrow(() -> new RequestRefusedException(ErrorCode.UNAUTHENTICATED, "your account is gone"));
    }

    private GroupInfo info(GroupMembership membership) {
        Group group = membership.group();
        ChainHead chain = groups.chainHead(group.id());
        return GroupInfo.newBuilder()
                .setChainId(com.google.protobuf.ByteString.copyFrom(chain.chainId()))
                .setChainLength(chain.length())
                .setChainHead(com.google.protobuf.ByteString.copyFrom(chain.head()))
                .setGroupId(group.id())
                .setName(group.name())
                .setConversationId(group.conversation().value())
                .setMyRole(membership.role() == null ? Role.ROLE_UNSPECIFIED : role(membership.role()))
                .setMemberCount(membership.memberCount())
                .setCreatedAtMs(group.createdAt().toEpochMilli())
                .build();
    }

    private static Role role(MemberRole role) {
        return role == MemberRole.ADMIN ? Role.ADMIN : Role.MEMBER;
    }
}
