package dev.fastchat.storage.jdbc;

import dev.fastchat.storage.AcceptedInvitation;
import dev.fastchat.storage.ChainHead;
import dev.fastchat.storage.ChainLink;
import dev.fastchat.storage.ConversationRefusedException;
import dev.fastchat.storage.ConversationRefusedException.Reason;
import dev.fastchat.storage.Group;
import dev.fastchat.storage.GroupInvitation;
import dev.fastchat.storage.GroupMember;
import dev.fastchat.storage.GroupMembership;
import dev.fastchat.storage.GroupRepository;
import dev.fastchat.storage.IdentityKeys;
import dev.fastchat.storage.InviteOutcome;
import dev.fastchat.storage.MemberRole;
import dev.fastchat.storage.MembershipChange;
import dev.fastchat.storage.NameTakenException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Groups on JDBC. Every change first takes the group conversation's row lock (an update of its
 * {@code members_version}), the same lock a send takes, so a message and a membership change are
 * ordered: a message is either sealed to the members before the change or after it.
 */
public final class JdbcGroupRepository implements GroupRepository {
    private static final String SELECT_GROUP = "SELECT g.id, g.name, g.created_at FROM chat_groups g";

    private final Jdbc jdbc;
    private final GroupCommitWriter writer;
    private final ConversationCache cache;

    JdbcGroupRepository(Jdbc jdbc, GroupCommitWriter writer, ConversationCache cache) {
        this.jdbc = jdbc;
        this.writer = writer;
        this.cache = cache;
    }

    @Override
    public CompletableFuture<GroupMembership> create(String name, long creatorId, Instant now, ChainLink link) {
        return writer.submit("create group", connection -> {
            if (!Names.claim(connection, name, "group")) {
                throw new NameTakenException(name);
            }
            long id = Jdbc.query(connection, "INSERT INTO chat_groups (name, created_by, created_at) VALUES (?, ?, ?) RETURNING id",
                    s -> {
                        s.setString(1, name);
                        s.setLong(2, creatorId);
                        s.setLong(3, now.toEpochMilli());
                    }, row -> row.getLong(1)).getFirst();
            Group group = new Group(id, name, now);
            Jdbc.update(connection, "INSERT INTO conversations (id, kind, group_id, last_seq, created_at) VALUES (?, 'group', ?, 0, ?)",
                    s -> {
                        s.setString(1, group.conversation().value());
                        s.setLong(2, id);
                        s.setLong(3, now.toEpochMilli());
                    });
            insertMember(connection, group, creatorId, MemberRole.ADMIN, now, 0);
            if (link.present()) {
                Jdbc.update(connection, "UPDATE chat_groups SET chain_id = ? WHERE id = ?", s -> {
                    s.setBytes(1, link.chainId());
                    s.setLong(2, id);
                });
                append(connection, group, link);
            }
            return new GroupMembership(group, MemberRole.ADMIN, 1);
        });
    }

    @Override
    public Optional<Group> findByName(String name) {
        return jdbc.queryOne("find group", SELECT_GROUP + " WHERE g.name = ?", s -> s.setString(1, name), JdbcGroupRepository::mapGroup);
    }

    @Override
    public Optional<GroupMembership> membership(long groupId, long accountId) {
        return jdbc.queryOne("find group", SELECT_GROUP + " WHERE g.id = ?", s -> s.setLong(1, groupId), JdbcGroupRepository::mapGroup)
                .map(group -> {
                    List<GroupMember> members = members(groupId);
                    MemberRole role = members.stream().filter(m -> m.accountId() == accountId).map(GroupMember::role)
                            .findFirst().orElse(null);
                    return new GroupMembership(group, role, members.size());
                });
    }

    @Override
    public CompletableFuture<MembershipChange> add(long groupId, long actorId, long accountId, int maxMembers, Instant now) {
        return writer.submit("add group member", connection -> {
            Locked locked = lock(connection, groupId);
            requireAdmin(connection, locked.group(), actorId);
            if (row(connection, locked.group(), accountId).map(Row::left).orElse(true)
                    && JdbcAccountRepository.isBlocked(connection, accountId, actorId)) {
                throw new ConversationRefusedException(Reason.BLOCKED, "this user does not accept group invitations from you");
            }
            MembershipChange joined = join(connection, locked, accountId, maxMembers, now);
            return result(connection, locked.group(), actorId, joined.changed(), 0);
        });
    }

    /** Makes {@code accountId} a member (again) from the group's next message on; a current member changes nothing. */
    private static MembershipChange join(Connection connection, Locked locked, long accountId, int maxMembers, Instant now)
            throws SQLException {
        Optional<Row> existing = row(connection, locked.group(), accountId);
        boolean changed = existing.map(Row::left).orElse(true);
        if (changed && activeMembers(connection, locked.group()) >= maxMembers) {
            throw new ConversationRefusedException(Reason.GROUP_FULL,
                    locked.group().name() + " has the most members a group may have (" + maxMembers + ")");
        }
        if (existing.isPresent() && existing.get().left()) {
            Jdbc.update(connection, """
                    UPDATE members SET role = 'member', joined_at = ?, joined_seq = ?, left_seq = NULL, read_seq = ?
                    WHERE conversation_id = ? AND account_id = ?
                    """, s -> {
                        s.setLong(1, now.toEpochMilli());
                        s.setLong(2, locked.lastSeq());
                        s.setLong(3, locked.lastSeq());
                        s.setString(4, locked.group().conversation().value());
                        s.setLong(5, accountId);
                    });
        } else if (existing.isEmpty()) {
            insertMember(connection, locked.group(), accountId, MemberRole.MEMBER, now, locked.lastSeq());
        }
        return result(connection, locked.group(), accountId, changed, 0);
    }

    @Override
    public CompletableFuture<InviteOutcome> invite(long groupId, long actorId, long accountId, Instant now, ChainLink link) {
        return writer.submit("invite to group", connection -> {
            Locked locked = lock(connection, groupId);
            requireAdmin(connection, locked.group(), actorId);
            InviteOutcome.Outcome outcome;
            if (row(connection, locked.group(), accountId).filter(r -> !r.left()).isPresent()) {
                outcome = InviteOutcome.Outcome.ALREADY_MEMBER;
            } else if (JdbcAccountRepository.isBlocked(connection, accountId, actorId)) {
                throw new ConversationRefusedException(Reason.BLOCKED, "this user does not accept group invitations from you");
            } else if (invitedBy(connection, groupId, accountId).isPresent()) {
                outcome = InviteOutcome.Outcome.ALREADY_INVITED;
            } else {
                Jdbc.update(connection, "INSERT INTO invitations (group_id, account_id, invited_by, created_at) VALUES (?, ?, ?, ?)",
                        s -> {
                            s.setLong(1, groupId);
                            s.setLong(2, accountId);
                            s.setLong(3, actorId);
                            s.setLong(4, now.toEpochMilli());
                        });
                outcome = InviteOutcome.Outcome.INVITED;
                append(connection, locked.group(), link);
            }
            MembershipChange state = result(connection, locked.group(), actorId, false, 0);
            return new InviteOutcome(state.group(), state.members(), outcome);
        });
    }

    @Override
    public CompletableFuture<AcceptedInvitation> accept(long groupId, long accountId, int maxMembers, Instant now, ChainLink link) {
        return writer.submit("accept group invitation", connection -> {
            Locked locked = lock(connection, groupId);
            long inviter = takeInvitation(connection, locked.group(), accountId);
            append(connection, locked.group(), link);
            return new AcceptedInvitation(join(connection, locked, accountId, maxMembers, now), inviter);
        });
    }

    @Override
    public CompletableFuture<Long> decline(long groupId, long accountId, ChainLink link) {
        return writer.submit("decline group invitation", connection -> {
            Locked locked = lock(connection, groupId);
            long inviter = takeInvitation(connection, locked.group(), accountId);
            append(connection, locked.group(), link);
            return inviter;
        });
    }

    @Override
    public List<GroupInvitation> invitations(long accountId) {
        return jdbc.queryList("list invitations", """
                SELECT g.id, g.name, g.created_at, i.invited_by, a.name AS inviter, i.created_at AS invited_at
                FROM invitations i JOIN chat_groups g ON g.id = i.group_id JOIN accounts a ON a.id = i.invited_by
                WHERE i.account_id = ? ORDER BY i.created_at, g.name
                """, s -> s.setLong(1, accountId), row -> new GroupInvitation(mapGroup(row), row.getLong("invited_by"),
                        row.getString("inviter"), Instant.ofEpochMilli(row.getLong("invited_at"))));
    }

    private static Optional<Long> invitedBy(Connection connection, long groupId, long accountId) throws SQLException {
        return Jdbc.query(connection, "SELECT invited_by FROM invitations WHERE group_id = ? AND account_id = ?", s -> {
            s.setLong(1, groupId);
            s.setLong(2, accountId);
        }, row -> row.getLong(1)).stream().findFirst();
    }

    /** Deletes the user's invitation to {@code group} and returns who had invited them; NOT_INVITED without one. */
    private static long takeInvitation(Connection connection, Group group, long accountId) throws SQLException {
        long inviter = invitedBy(connection, group.id(), accountId).orElseThrow(() ->
                new ConversationRefusedException(Reason.NOT_INVITED, "you have no invitation to " + group.name()));
        Jdbc.update(connection, "DELETE FROM invitations WHERE group_id = ? AND account_id = ?", s -> {
            s.setLong(1, group.id());
            s.setLong(2, accountId);
        });
        return inviter;
    }

    @Override
    public CompletableFuture<MembershipChange> remove(long groupId, long actorId, long accountId, ChainLink link) {
        return writer.submit("remove group member", connection -> {
            Locked locked = lock(connection, groupId);
            requireAdmin(connection, locked.group(), actorId);
            if (row(connection, locked.group(), accountId).map(Row::left).orElse(true)) {
                throw new ConversationRefusedException(Reason.NOT_A_MEMBER, "not a member of " + locked.group().name());
            }
            markLeft(connection, locked, accountId);
            append(connection, locked.group(), link);
            long promoted = actorId == accountId && !link.present() ? promoteOldestIfNoAdmin(connection, locked.group()) : 0;
            return result(connection, locked.group(), actorId, true, promoted);
        });
    }

    @Override
    public CompletableFuture<MembershipChange> promote(long groupId, long actorId, long accountId, ChainLink link) {
        return writer.submit("promote group member", connection -> {
            Locked locked = lock(connection, groupId);
            requireAdmin(connection, locked.group(), actorId);
            Row target = row(connection, locked.group(), accountId).filter(r -> !r.left())
                    .orElseThrow(() -> new ConversationRefusedException(Reason.NOT_A_MEMBER, "not a member of " + locked.group().name()));
            if (target.role() != MemberRole.ADMIN) {
                setRole(connection, locked.group(), accountId, MemberRole.ADMIN);
                append(connection, locked.group(), link);
            }
            return result(connection, locked.group(), actorId, target.role() != MemberRole.ADMIN, 0);
        });
    }

    @Override
    public CompletableFuture<MembershipChange> leave(long groupId, long accountId, ChainLink link) {
        return writer.submit("leave group", connection -> {
            Locked locked = lock(connection, groupId);
            Optional<Row> leaver = row(connection, locked.group(), accountId).filter(r -> !r.left());
            if (leaver.isEmpty()) {
                throw new ConversationRefusedException(Reason.NOT_A_MEMBER, "not a member of " + locked.group().name());
            }
            if (link.present() && leaver.get().role() == MemberRole.ADMIN && lastAdminWithOthers(connection, locked.group())) {
                throw new ConversationRefusedException(Reason.LAST_ADMIN, "you are the last admin of " + locked.group().name()
                        + ": promote a member first");
            }
            markLeft(connection, locked, accountId);
            append(connection, locked.group(), link);
            long promoted = promoteOldestIfNoAdmin(connection, locked.group());
            return result(connection, locked.group(), accountId, true, promoted);
        });
    }

    @Override
    public List<GroupMembership> groupsOf(long accountId) {
        return jdbc.queryList("list groups", """
                SELECT g.id, g.name, g.created_at, m.role,
                       (SELECT COUNT(*) FROM members o WHERE o.conversation_id = m.conversation_id AND o.left_seq IS NULL) AS member_count
                FROM members m
                JOIN conversations c ON c.id = m.conversation_id
                JOIN chat_groups g ON g.id = c.group_id
                WHERE m.account_id = ? AND m.left_seq IS NULL
                ORDER BY g.name
                """, s -> s.setLong(1, accountId),
                row -> new GroupMembership(mapGroup(row), role(row.getString("role")), row.getInt("member_count")));
    }

    @Override
    public List<GroupMember> members(long groupId) {
        return jdbc.queryList("list group members", """
                SELECT m.account_id, a.name, m.role, m.joined_at, k.key_id, k.x25519_public, k.ed25519_public
                FROM members m
                JOIN accounts a ON a.id = m.account_id
                JOIN identity_keys k ON k.account_id = a.id
                    AND k.key_id = (SELECT MAX(key_id) FROM identity_keys WHERE account_id = a.id)
                WHERE m.conversation_id = ? AND m.left_seq IS NULL
                ORDER BY m.joined_at, m.account_id
                """, s -> s.setString(1, "g:" + groupId),
                row -> new GroupMember(row.getLong("account_id"), row.getString("name"), role(row.getString("role")),
                        Instant.ofEpochMilli(row.getLong("joined_at")),
                        new IdentityKeys(row.getInt("key_id"), row.getBytes("x25519_public"), row.getBytes("ed25519_public"))));
    }

    @Override
    public List<byte[]> statements(long groupId) {
        return jdbc.queryList("list membership statements", "SELECT statement FROM group_statements WHERE group_id = ? ORDER BY idx",
                s -> s.setLong(1, groupId), row -> row.getBytes(1));
    }

    @Override
    public ChainHead chainHead(long groupId) {
        return jdbc.queryOne("read membership chain head", CHAIN_HEAD, s -> s.setLong(1, groupId), JdbcGroupRepository::chainHead)
                .orElse(new ChainHead(new byte[0], 0, new byte[0]));
    }

    /** A group's chain id and its last statement (none for a group without a chain). */
    private static final String CHAIN_HEAD = """
            SELECT g.chain_id, s.idx, s.statement FROM chat_groups g
            LEFT JOIN group_statements s ON s.group_id = g.id
                AND s.idx = (SELECT MAX(idx) FROM group_statements WHERE group_id = g.id)
            WHERE g.id = ?
            """;

    private static ChainHead chainHead(ResultSet row) throws SQLException {
        byte[] chainId = java.util.Objects.requireNonNullElse(row.getBytes(1), new byte[0]);
        byte[] last = row.getBytes(3);
        return last == null ? new ChainHead(chainId, 0, new byte[0]) : new ChainHead(chainId, row.getLong(2) + 1, sha256(last));
    }

    private static ChainHead head(Connection connection, long groupId) throws SQLException {
        return Jdbc.query(connection, CHAIN_HEAD, s -> s.setLong(1, groupId), JdbcGroupRepository::chainHead).stream().findFirst()
                .orElse(new ChainHead(new byte[0], 0, new byte[0]));
    }

    /** Stores {@code link} as the next statement of {@code group}'s chain, or refuses with CHAIN_CONFLICT. */
    private static void append(Connection connection, Group group, ChainLink link) throws SQLException {
        if (!link.present()) {
            return;
        }
        ChainHead head = head(connection, group.id());
        if (head.chainId().length == 0) {
            throw new ConversationRefusedException(Reason.CHAIN_CONFLICT, group.name() + " was made before signed membership:"
                    + " its membership cannot be changed with statements (make a new group)");
        }
        if (link.index() != head.length() || !java.util.Arrays.equals(link.previous(), head.head())
                || !java.util.Arrays.equals(link.chainId(), head.chainId())) {
            throw new ConversationRefusedException(Reason.CHAIN_CONFLICT, "the membership of " + group.name()
                    + " changed meanwhile (statement " + head.length() + " is next): sign the change again");
        }
        Jdbc.update(connection, "INSERT INTO group_statements (group_id, idx, statement) VALUES (?, ?, ?)", s -> {
            s.setLong(1, group.id());
            s.setLong(2, link.index());
            s.setBytes(3, link.statement());
        });
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }

    private record Locked(Group group, long lastSeq) {}

    private record Row(MemberRole role, boolean left) {}

    /**
     * Takes the group conversation's row lock and reads its newest seq. Whatever follows may change its members, so
     * its {@code members_version} goes up (other nodes read the members again) and the writer's cache forgets it.
     */
    private Locked lock(Connection connection, long groupId) throws SQLException {
        List<Group> groups = Jdbc.query(connection, SELECT_GROUP + " WHERE g.id = ?", s -> s.setLong(1, groupId),
                JdbcGroupRepository::mapGroup);
        if (groups.isEmpty()) {
            throw new ConversationRefusedException(Reason.UNKNOWN_GROUP, "no such group");
        }
        Group group = groups.getFirst();
        Jdbc.update(connection, "UPDATE conversations SET members_version = members_version + 1 WHERE id = ?",
                s -> s.setString(1, group.conversation().value()));
        long lastSeq = Jdbc.query(connection, "SELECT " + JdbcMessageRepository.NEWEST_SEQ + " FROM conversations c WHERE c.id = ?",
                s -> s.setString(1, group.conversation().value()), row -> row.getLong(1)).getFirst();
        cache.invalidate(group.conversation().value());
        return new Locked(group, lastSeq);
    }

    private static Optional<Row> row(Connection connection, Group group, long accountId) throws SQLException {
        return Jdbc.query(connection, "SELECT role, left_seq FROM members WHERE conversation_id = ? AND account_id = ?", s -> {
            s.setString(1, group.conversation().value());
            s.setLong(2, accountId);
        }, r -> {
            MemberRole role = role(r.getString("role"));
            r.getLong("left_seq");
            return new Row(role, !r.wasNull());
        }).stream().findFirst();
    }

    private static long activeMembers(Connection connection, Group group) throws SQLException {
        return Jdbc.query(connection, "SELECT COUNT(*) FROM members WHERE conversation_id = ? AND left_seq IS NULL",
                s -> s.setString(1, group.conversation().value()), r -> r.getLong(1)).getFirst();
    }

    private static void requireAdmin(Connection connection, Group group, long actorId) throws SQLException {
        Optional<Row> actor = row(connection, group, actorId).filter(r -> !r.left());
        if (actor.isEmpty()) {
            throw new ConversationRefusedException(Reason.NOT_A_MEMBER, "you are not a member of " + group.name());
        }
        if (actor.get().role() != MemberRole.ADMIN) {
            throw new ConversationRefusedException(Reason.NOT_ADMIN, "only an admin of " + group.name() + " can do that");
        }
    }

    private static void insertMember(Connection connection, Group group, long accountId, MemberRole role, Instant now,
                                     long joinedSeq) throws SQLException {
        Jdbc.update(connection, """
                INSERT INTO members (conversation_id, account_id, role, joined_at, joined_seq, left_seq, read_seq)
                VALUES (?, ?, ?, ?, ?, NULL, ?)
                """, s -> {
                    s.setString(1, group.conversation().value());
                    s.setLong(2, accountId);
                    s.setString(3, role.name().toLowerCase(Locale.ROOT));
                    s.setLong(4, now.toEpochMilli());
                    s.setLong(5, joinedSeq);
                    s.setLong(6, joinedSeq);
                });
    }

    private static void markLeft(Connection connection, Locked locked, long accountId) throws SQLException {
        Jdbc.update(connection, "UPDATE members SET left_seq = ?, role = 'member' WHERE conversation_id = ? AND account_id = ?", s -> {
            s.setLong(1, locked.lastSeq());
            s.setString(2, locked.group().conversation().value());
            s.setLong(3, accountId);
        });
    }

    private static void setRole(Connection connection, Group group, long accountId, MemberRole role) throws SQLException {
        Jdbc.update(connection, "UPDATE members SET role = ? WHERE conversation_id = ? AND account_id = ?", s -> {
            s.setString(1, role.name().toLowerCase(Locale.ROOT));
            s.setString(2, group.conversation().value());
            s.setLong(3, accountId);
        });
    }

    /** Whether the group has exactly one admin and other members too. */
    private static boolean lastAdminWithOthers(Connection connection, Group group) throws SQLException {
        long[] counts = Jdbc.query(connection, """
                SELECT COUNT(*), SUM(CASE WHEN role = 'admin' THEN 1 ELSE 0 END) FROM members
                WHERE conversation_id = ? AND left_seq IS NULL
                """, s -> s.setString(1, group.conversation().value()), r -> new long[] {r.getLong(1), r.getLong(2)}).getFirst();
        return counts[1] == 1 && counts[0] > 1;
    }

    /** When no admin is left, the member who joined first (then the lowest account id) becomes admin. */
    private static long promoteOldestIfNoAdmin(Connection connection, Group group) throws SQLException {
        List<long[]> members = Jdbc.query(connection, """
                SELECT account_id, CASE WHEN role = 'admin' THEN 1 ELSE 0 END AS admin FROM members
                WHERE conversation_id = ? AND left_seq IS NULL ORDER BY joined_at, account_id
                """, s -> s.setString(1, group.conversation().value()), r -> new long[] {r.getLong(1), r.getLong(2)});
        if (members.isEmpty() || members.stream().anyMatch(m -> m[1] == 1)) {
            return 0;
        }
        long oldest = members.getFirst()[0];
        setRole(connection, group, oldest, MemberRole.ADMIN);
        return oldest;
    }

    private static MembershipChange result(Connection connection, Group group, long actorId, boolean changed, long promoted)
            throws SQLException {
        List<Long> members = JdbcMessageRepository.activeMembers(connection, group.conversation().value());
        MemberRole role = row(connection, group, actorId).filter(r -> !r.left()).map(Row::role).orElse(null);
        return new MembershipChange(new GroupMembership(group, role, members.size()), members, changed, promoted);
    }

    private static Group mapGroup(ResultSet row) throws SQLException {
        return new Group(row.getLong("id"), row.getString("name"), Instant.ofEpochMilli(row.getLong("created_at")));
    }

    private static MemberRole role(String stored) {
        return "admin".equals(stored) ? MemberRole.ADMIN : MemberRole.MEMBER;
    }
}
