package dev.fastchat.server.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.protocol.v1.AddMember;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.GroupInfo;
import dev.fastchat.protocol.v1.LeaveGroup;
import dev.fastchat.protocol.v1.ListMembers;
import dev.fastchat.protocol.v1.MembershipAction;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the server checks of membership statements, from a malicious client over a real socket. */
class MembershipStatementsTest {
    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir.resolve("server"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    record Member(WireClient wire, String name, long id) {}

    static Member register(String prefix) {
        WireClient wire = server.connect();
        wire.hello();
        String name = WireClient.uniqueName(prefix);
        long id = wire.register(name, WireClient.random(32)).getSession().getAccountId();
        return new Member(wire, name, id);
    }

    private static GroupInfo head(Member member, String group) {
        return member.wire().call(Envelope.newBuilder().setListMembers(ListMembers.newBuilder().setGroup(group))).getMemberList().getGroup();
    }

    @Test
    void changesWithoutAStatementOfTheirOwnOrSignedByAnotherKeyAreRefusedAndNothingChanges() {
        Member alice = register("alice");
        Member bob = register("bob");
        String group = WireClient.uniqueName("g");
        assertThat(alice.wire().createGroup(group).getGroupInfo().getChainLength()).isEqualTo(1);

        Envelope unsigned = alice.wire().call(Envelope.newBuilder().setAddMember(AddMember.newBuilder().setGroup(group).setUsername(bob.name())));
        assertThat(unsigned.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(unsigned.getError().getReason()).contains("signed");

        // Signed, but by a key that is not alice's.
        WireClient impostor = server.connect().signingAs(alice.id(), IdentityKeyPair.generate(new SecureRandom()));
        var forged = impostor.statement(head(alice, group), MembershipAction.INVITE, bob.id());
        Envelope wrongKey = alice.wire().call(Envelope.newBuilder().setAddMember(AddMember.newBuilder().setGroup(group)
                .setUsername(bob.name()).setStatement(forged)));
        assertThat(wrongKey.getError().getReason()).contains("not signed with your current identity key");
        impostor.close();

        // alice's own statement, but for another change than the request makes.
        var other = alice.wire().statement(head(alice, group), MembershipAction.INVITE, alice.id());
        Envelope mismatch = alice.wire().call(Envelope.newBuilder().setAddMember(AddMember.newBuilder().setGroup(group)
                .setUsername(bob.name()).setStatement(other)));
        assertThat(mismatch.getError().getReason()).contains("does not state this change");

        // A proper statement on a head that is not the last: another change came first.
        GroupInfo before = head(alice, group);
        assertThat(alice.wire().invite(group, bob.name()).hasGroupInfo()).isTrue();
        Member carol = register("carol");
        Envelope stale = alice.wire().call(Envelope.newBuilder().setAddMember(AddMember.newBuilder().setGroup(group)
                .setUsername(carol.name()).setStatement(alice.wire().statement(before, MembershipAction.INVITE, carol.id()))));
        assertThat(stale.getError().getCode()).isEqualTo(ErrorCode.MEMBERS_CHANGED);
        assertThat(head(alice, group).getChainLength()).isEqualTo(2);
    }

    @Test
    void theLastAdminCannotLeaveOthersWithoutAnAdmin() {
        Member alice = register("alice");
        Member bob = register("bob");
        String group = WireClient.uniqueName("g");
        alice.wire().createGroup(group);
        alice.wire().invite(group, bob.name());
        assertThat(bob.wire().answer(group, true).hasGroupInfo()).isTrue();
        Envelope refused = alice.wire().call(Envelope.newBuilder().setLeaveGroup(LeaveGroup.newBuilder().setGroup(group)
                .setStatement(alice.wire().statement(head(alice, group), MembershipAction.LEAVE, alice.id()))));
        assertThat(refused.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(refused.getError().getReason()).contains("promote a member first");
    }
}
