package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static dev.fastchat.client.MaliciousServerTest.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.client.ChatFixture.User;
import dev.fastchat.protocol.v1.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Group membership the server cannot forge: the real server with its database altered behind its back (a
 * member row inserted, a removal undone, statements dropped or forged) against the real client library.
 */
class SignedMembershipTest {
    @RegisterExtension
    static final ChatFixture chats = new ChatFixture();

    /** alice's group with bob in it (invited and accepted). */
    static String groupOf(User alice, User... members) throws Exception {
        String group = dev.fastchat.server.testing.WireClient.uniqueName("grp");
        await(alice.client().groups().create(group));
        for (User member : members) {
            await(alice.client().groups().add(group, member.name()));
            await(member.client().invitations().accept(group));
        }
        return group;
    }

    private static long id(User user) {
        return user.client().session().orElseThrow().accountId();
    }

    @Test
    void aGhostMemberInsertedByTheServerReadsNothingAndTheMembersAreToldWhoItIs() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob"); User mallory = chats.register("mallory")) {
            String group = groupOf(alice, bob);
            await(alice.client().send(Target.group(group), "before"));
            ChatFixture.eventually(() -> assertThat(bob.events().texts()).containsExactly("before"));

            // The operator makes mallory a member: a row in the members table, no statement of any admin.
            String conversation = await(alice.client().groups().list()).stream().filter(g -> g.name().equals(group)).findFirst()
                    .orElseThrow().conversationId();
            chats.alterDatabase("INSERT INTO members (conversation_id, account_id, role, joined_at, joined_seq, left_seq, read_seq)"
                    + " VALUES (?, ?, 'member', 0, 0, NULL, 0)", conversation, id(mallory));

            for (User member : new User[] {alice, bob}) {
                ChatException refused = failure(member.client().send(Target.group(group), "the plan"));
                assertThat(refused.code()).isEqualTo(ErrorCode.UNTRUSTED_SERVER);
                assertThat(refused.getMessage()).contains("lists " + mallory.name() + " without a signed statement adding them");
            }
            // Refused before anything was sealed: only "before", sent while mallory was no member, ever existed.
            assertThat(await(bob.client().history(Target.group(group), 0, 10))).extracting(ChatMessage::text).containsExactly("before");
            assertThat(mallory.events().messages).isEmpty();
        }
    }

    @Test
    void aRemovalHoldsEvenIfTheServerForgetsIt() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob"); User carol = chats.register("carol")) {
            String group = groupOf(alice, bob, carol);
            await(alice.client().groups().remove(group, carol.name()));
            String conversation = await(alice.client().groups().list()).stream().filter(g -> g.name().equals(group)).findFirst()
                    .orElseThrow().conversationId();
            chats.alterDatabase("UPDATE members SET left_seq = NULL WHERE conversation_id = ? AND account_id = ?", conversation, id(carol));

            ChatException refused = failure(bob.client().send(Target.group(group), "now that carol is gone"));
            assertThat(refused.code()).isEqualTo(ErrorCode.UNTRUSTED_SERVER);
            assertThat(refused.getMessage()).contains(carol.name());
            assertThat(await(alice.client().history(Target.group(group), 0, 10))).isEmpty(); // nothing was sealed, to anyone
            assertThat(carol.events().texts()).isEmpty();
        }
    }

    @Test
    void aStatementDroppedForgedOrMovedByTheServerIsDetected() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob"); User carol = chats.register("carol")) {
            String group = groupOf(alice, bob, carol);
            await(alice.client().send(Target.group(group), "all verified")); // alice's device remembers 5 statements
            long groupId = await(alice.client().groups().list()).stream().filter(g -> g.name().equals(group)).findFirst().orElseThrow().id();

            // The last statement (carol's joining) dropped, carol's row left: a device that saw it notices.
            byte[] last = statement(groupId, 4);
            chats.alterDatabase("DELETE FROM group_statements WHERE group_id = ? AND idx = 4", groupId);
            chats.alterDatabase("UPDATE members SET left_seq = 0 WHERE conversation_id = ? AND account_id = ?", "g:" + groupId, id(carol));
            ChatException truncated = failure(alice.client().send(Target.group(group), "who is here?"));
            assertThat(truncated.code()).isEqualTo(ErrorCode.UNTRUSTED_SERVER);
            assertThat(truncated.getMessage()).contains("than this device saw before");
            chats.alterDatabase("INSERT INTO group_statements (group_id, idx, statement) VALUES (?, 4, ?)", groupId, last);
            chats.alterDatabase("UPDATE members SET left_seq = NULL WHERE conversation_id = ? AND account_id = ?", "g:" + groupId, id(carol));

            // bob's invitation (statement 1) with one byte changed: its signature no longer holds.
            byte[] invite = statement(groupId, 1);
            byte[] forged = invite.clone();
            forged[forged.length - 1] ^= 1;
            chats.alterDatabase("UPDATE group_statements SET statement = ? WHERE group_id = ? AND idx = 1", forged, groupId);
            ChatException bad = failure(carol.client().send(Target.group(group), "hello"));
            assertThat(bad.code()).isEqualTo(ErrorCode.UNTRUSTED_SERVER);
            assertThat(bad.getMessage()).contains("statement #1");

            // Two statements swapped.
            chats.alterDatabase("UPDATE group_statements SET statement = ? WHERE group_id = ? AND idx = 1", statement(groupId, 3), groupId);
            chats.alterDatabase("UPDATE group_statements SET statement = ? WHERE group_id = ? AND idx = 3", invite, groupId);
            assertThat(failure(bob.client().send(Target.group(group), "hello")).getMessage()).contains("statement #1");

            // Put back: everyone sends again.
            chats.alterDatabase("UPDATE group_statements SET statement = ? WHERE group_id = ? AND idx = 3", statement(groupId, 1), groupId);
            chats.alterDatabase("UPDATE group_statements SET statement = ? WHERE group_id = ? AND idx = 1", invite, groupId);
            await(bob.client().send(Target.group(group), "restored"));
        }
    }

    @Test
    void theLastAdminWhoLeavesPromotesTheLongestStandingMemberByStatement() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob"); User carol = chats.register("carol")) {
            String group = groupOf(alice, bob, carol);
            await(alice.client().groups().leave(group));
            // bob, now admin by a statement alice signed, can act; the chain still verifies for everyone.
            await(bob.client().groups().remove(group, carol.name()));
            await(bob.client().send(Target.group(group), "just me"));
            assertThat(await(bob.client().groups().members(group))).extracting(GroupMember::name).containsExactly(bob.name());
        }
    }

    @Test
    void statementsSignedWithKeysAMemberReplacedSinceStillVerify() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob")) {
            String group = groupOf(alice, bob); // bob's acceptance is signed with his first key
            await(bob.client().keys().replace("pw".toCharArray()));
            await(alice.client().keys().accept(bob.name())); // after comparing safety numbers again
            await(alice.client().send(Target.group(group), "still a group"));
            ChatFixture.eventually(() -> assertThat(bob.events().texts()).contains("still a group"));
        }
    }

    private static byte[] statement(long groupId, int index) throws Exception {
        return (byte[]) chats.readDatabase("SELECT statement FROM group_statements WHERE group_id = ? AND idx = ?", groupId, index)[0];
    }
}
