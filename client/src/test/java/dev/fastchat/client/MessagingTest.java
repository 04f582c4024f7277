package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static dev.fastchat.client.ChatClientTest.codeOf;
import static dev.fastchat.client.ChatFixture.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.client.ChatFixture.User;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.server.testing.WireClient;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Direct messages, groups, history, unread and presence through the client library and a real server. */
class MessagingTest {
    @RegisterExtension
    static final ChatFixture chats = new ChatFixture();

    static User register(String prefix) throws Exception {
        return chats.register(prefix);
    }

    static User login(String name, String device) throws Exception {
        return chats.login(name, device);
    }

    @Test
    void directMessagesOfAnyUtf8TextArriveInOrderAtEverySessionIncludingTheSendersOthers() throws Exception {
        try (User alice = register("alice"); User bob = register("bob"); User aliceLaptop = login(alice.name(), "laptop")) {
            List<String> texts = List.of("hello", "😀 emoji", "مرحبا بالعالم", "line one\nline two", "x".repeat(64 << 10));
            List<Long> seqs = new ArrayList<>();
            for (String text : texts) {
                seqs.add(await(alice.client().send(Target.user(bob.name()), text)).seq());
            }
            assertThat(seqs).containsExactly(1L, 2L, 3L, 4L, 5L);
            eventually(() -> assertThat(bob.events().texts()).containsExactlyElementsOf(texts));
            eventually(() -> assertThat(aliceLaptop.events().texts()).containsExactlyElementsOf(texts));
            ChatMessage first = bob.events().messages.getFirst();
            assertThat(first.sender()).isEqualTo(alice.name());
            assertThat(first.conversation()).isEqualTo(Target.user(alice.name()));
            assertThat(first.outgoing()).isFalse();
            assertThat(first.trust()).isEqualTo(KeyTrust.FIRST_USE);
            assertThat(aliceLaptop.events().messages.getFirst().outgoing()).isTrue();
            assertThat(aliceLaptop.events().messages.getFirst().conversation()).isEqualTo(Target.user(bob.name()));
            assertThat(alice.events().messages).isEmpty(); // the sending session gets the ack, not a push
        }
    }

    @Test
    void tooLargeTextsAndUnknownRecipientsAreRefusedAndStoreNothing() throws Exception {
        try (User alice = register("alice")) {
            assertThat(codeOf(alice.client().send(Target.user("nobody-" + alice.name()), "hi"))).isEqualTo(ErrorCode.UNKNOWN_USER);
            assertThat(codeOf(alice.client().send(Target.group("nogroup-" + alice.name()), "hi"))).isEqualTo(ErrorCode.UNKNOWN_CONVERSATION);
            User bob = register("bob");
            assertThat(codeOf(alice.client().send(Target.user(bob.name()), "y".repeat(65 << 10)))).isEqualTo(ErrorCode.TOO_LARGE);
            assertThat(await(bob.client().unread()).conversations()).isEmpty();
            bob.close();
        }
    }

    @Test
    void offlineUsersGetEverythingTheyMissedOnTheirNextLogInWithUnreadCountsApart() throws Exception {
        String bobName;
        try (User bob = register("bob")) {
            bobName = bob.name();
        }
        try (User alice = register("alice"); User carol = register("carol")) {
            for (int i = 1; i <= 620; i++) { // more than one sync batch
                await(alice.client().send(Target.user(bobName), "dm " + i));
            }
            ChatGroup team = await(carol.client().groups().create(WireClient.uniqueName("team")));
            await(carol.client().groups().add(team.name(), bobName));
            try (User bobAtHisDesk = login(bobName, "desk")) { // bob accepts elsewhere, then is away again
                await(bobAtHisDesk.client().invitations().accept(team.name()));
            }
            await(carol.client().send(Target.group(team.name()), "group hello"));

            try (User bob = login(bobName, "phone")) {
                UnreadSummary unread = await(bob.client().unread());
                assertThat(unread.directUnread()).isEqualTo(620);
                assertThat(unread.groupUnread()).isEqualTo(1);
                List<ChatMessage> missed = await(bob.client().sync());
                assertThat(missed).hasSize(621);
                List<String> dms = missed.stream().filter(m -> !m.conversation().group()).map(ChatMessage::text).toList();
                assertThat(dms.getFirst()).isEqualTo("dm 1");
                assertThat(dms.getLast()).isEqualTo("dm 620");
                assertThat(missed.stream().filter(m -> m.conversation().group()).map(ChatMessage::text)).containsExactly("group hello");
                assertThat(await(bob.client().sync())).isEmpty(); // nothing twice

                ChatMessage last = missed.stream().filter(m -> !m.conversation().group()).toList().getLast();
                await(bob.client().markRead(last.conversationId(), last.seq()));
                try (User bobLaptop = login(bobName, "laptop")) { // counts are right on the other device
                    UnreadSummary after = await(bobLaptop.client().unread());
                    assertThat(after.directUnread()).isZero();
                    assertThat(after.groupUnread()).isEqualTo(1);
                }
            }
        }
    }

    @Test
    void historyPagesBackwardsAndIncludesTheUsersOwnMessages() throws Exception {
        try (User alice = register("alice"); User bob = register("bob")) {
            for (int i = 1; i <= 7; i++) {
                User from = i % 2 == 0 ? bob : alice;
                User to = i % 2 == 0 ? alice : bob;
                await(from.client().send(Target.user(to.name()), "m" + i));
            }
            List<ChatMessage> page = await(alice.client().history(Target.user(bob.name()), 0, 3));
            assertThat(page).extracting(ChatMessage::text).containsExactly("m7", "m6", "m5");
            assertThat(page.getFirst().outgoing()).isTrue();
            List<ChatMessage> older = await(alice.client().history(Target.user(bob.name()), page.getLast().seq(), 10));
            assertThat(older).extracting(ChatMessage::text).containsExactly("m4", "m3", "m2", "m1");
        }
    }

    @Test
    void aPreparedMessageIsSentOnceAndWhatIsChainedOnItsAckRunsOffTheNetworkThread() throws Exception {
        try (User alice = register("alice"); User bob = register("bob")) {
            await(alice.client().send(Target.user(bob.name()), "first"));
            PreparedMessage prepared = await(alice.client().prepare(Target.user(bob.name()), "prepared"));
            // The chained step waits for another request: run on the thread that reads the answers, it could not end.
            // It runs on the thread that completes the ack (a virtual one), or on this one if the ack came first.
            Thread test = Thread.currentThread();
            var chained = alice.client().sendPrepared(prepared).thenApply(sent -> {
                try {
                    Thread thread = Thread.currentThread();
                    return sent.seq() + ":" + await(alice.client().history(Target.user(bob.name()), 0, 5)).size()
                            + ":" + (thread.isVirtual() || thread == test);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(await(chained)).isEqualTo("2:2:true");
            eventually(() -> assertThat(bob.events().texts()).containsExactly("first", "prepared"));
            assertThat(await(alice.client().sendPrepared(prepared)).seq()).isEqualTo(2); // a retry: the first ack
            assertThat(await(alice.client().history(Target.user(bob.name()), 0, 5))).hasSize(2);
        }
    }

    @Test
    void groupsEnforceAdminsAndMembershipAndRemovedMembersReceiveNothingNew() throws Exception {
        try (User alice = register("alice"); User bob = register("bob"); User carol = register("carol"); User eve = register("eve")) {
            ChatGroup team = await(alice.client().groups().create(WireClient.uniqueName("team")));
            assertThat(team.admin()).isTrue();
            await(alice.client().groups().add(team.name(), bob.name()));
            await(bob.client().invitations().accept(team.name()));
            assertThat(codeOf(bob.client().groups().add(team.name(), carol.name()))).isEqualTo(ErrorCode.NOT_ADMIN);
            assertThat(codeOf(eve.client().send(Target.group(team.name()), "let me in"))).isEqualTo(ErrorCode.NOT_A_MEMBER);
            assertThat(codeOf(eve.client().history(Target.group(team.name()), 0, 10))).isEqualTo(ErrorCode.NOT_A_MEMBER);
            assertThat(codeOf(alice.client().groups().create(bob.name()))).isEqualTo(ErrorCode.ACCOUNT_EXISTS);
            await(alice.client().groups().add(team.name(), carol.name()));
            await(carol.client().invitations().accept(team.name()));
            eventually(() -> assertThat(bob.events().membership).extracting(MembershipEvent::change).contains("added"));

            await(alice.client().send(Target.group(team.name()), "welcome all"));
            eventually(() -> assertThat(carol.events().texts()).containsExactly("welcome all"));
            await(alice.client().groups().remove(team.name(), carol.name()));
            eventually(() -> assertThat(carol.events().membership).extracting(MembershipEvent::change).contains("removed"));
            await(bob.client().send(Target.group(team.name()), "after carol left"));
            eventually(() -> assertThat(alice.events().texts()).contains("after carol left"));
            assertThat(carol.events().texts()).containsExactly("welcome all");
            assertThat(await(carol.client().history(Target.group(team.name()), 0, 10))).extracting(ChatMessage::text)
                    .containsExactly("welcome all");
            assertThat(codeOf(carol.client().send(Target.group(team.name()), "still here?"))).isEqualTo(ErrorCode.NOT_A_MEMBER);

            await(alice.client().groups().leave(team.name()));
            List<GroupMember> members = await(bob.client().groups().members(team.name()));
            assertThat(members).extracting(GroupMember::name).containsExactly(bob.name());
            assertThat(members.getFirst().admin()).isTrue(); // the last admin left: the oldest member took over
            assertThat(await(bob.client().groups().list())).extracting(ChatGroup::name).containsExactly(team.name());
        }
    }

    @Test
    void beingAddedToAGroupIsAnInvitationNothingOfTheGroupReachesTheUserUntilTheyAccept() throws Exception {
        try (User alice = register("alice"); User bob = register("bob"); User carol = register("carol")) {
            ChatGroup team = await(alice.client().groups().create(WireClient.uniqueName("team")));
            assertThat(await(alice.client().groups().add(team.name(), bob.name())).memberCount()).isEqualTo(1);
            await(alice.client().groups().add(team.name(), bob.name())); // inviting twice is not an error
            eventually(() -> assertThat(bob.events().membership).extracting(MembershipEvent::change, MembershipEvent::user,
                    MembershipEvent::by).containsExactly(org.assertj.core.groups.Tuple.tuple("invited", bob.name(), alice.name())));
            List<GroupInvitation> open = await(bob.client().invitations().list());
            assertThat(open).extracting(i -> i.group().name(), GroupInvitation::invitedBy).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(team.name(), alice.name()));
            assertThat(open.getFirst().group().member()).isFalse();

            // Invited is not a member: not a recipient, no history, no sending, not in the member list.
            await(alice.client().send(Target.group(team.name()), "before you joined"));
            assertThat(await(alice.client().groups().members(team.name()))).extracting(GroupMember::name).containsExactly(alice.name());
            assertThat(codeOf(bob.client().history(Target.group(team.name()), 0, 10))).isEqualTo(ErrorCode.NOT_A_MEMBER);
            assertThat(codeOf(bob.client().send(Target.group(team.name()), "hi"))).isEqualTo(ErrorCode.NOT_A_MEMBER);

            assertThat(await(bob.client().invitations().accept(team.name())).member()).isTrue();
            assertThat(await(bob.client().invitations().list())).isEmpty();
            await(alice.client().send(Target.group(team.name()), "welcome"));
            eventually(() -> assertThat(bob.events().texts()).containsExactly("welcome"));
            assertThat(await(bob.client().history(Target.group(team.name()), 0, 10))).extracting(ChatMessage::text)
                    .containsExactly("welcome");
            eventually(() -> assertThat(alice.events().membership).extracting(MembershipEvent::change).contains("added"));

            await(alice.client().groups().add(team.name(), carol.name()));
            await(carol.client().invitations().decline(team.name()));
            eventually(() -> assertThat(alice.events().membership).extracting(MembershipEvent::change, MembershipEvent::user)
                    .contains(org.assertj.core.groups.Tuple.tuple("declined", carol.name())));
            assertThat(codeOf(carol.client().invitations().accept(team.name()))).isEqualTo(ErrorCode.NOT_A_MEMBER);
            assertThat(await(alice.client().groups().members(team.name()))).hasSize(2);
        }
    }

    @Test
    void aBlockedUserGetsBlockedForDirectMessagesAndGroupAdditionsUntilUnblocked() throws Exception {
        try (User alice = register("alice"); User mallory = register("mallory")) {
            await(mallory.client().send(Target.user(alice.name()), "hi"));
            await(alice.client().contacts().block(mallory.name()));
            assertThat(await(alice.client().contacts().blocked())).containsExactly(mallory.name());
            assertThat(codeOf(mallory.client().send(Target.user(alice.name()), "let me in"))).isEqualTo(ErrorCode.BLOCKED);
            ChatGroup trap = await(mallory.client().groups().create(WireClient.uniqueName("trap")));
            assertThat(codeOf(mallory.client().groups().add(trap.name(), alice.name()))).isEqualTo(ErrorCode.BLOCKED);
            await(alice.client().send(Target.user(mallory.name()), "blocking is one way")); // alice can still write

            await(alice.client().contacts().unblock(mallory.name()));
            assertThat(await(alice.client().contacts().blocked())).isEmpty();
            await(mallory.client().send(Target.user(alice.name()), "thanks"));
            eventually(() -> assertThat(alice.events().texts()).containsExactly("hi", "thanks"));
            assertThat(codeOf(alice.client().contacts().block("no such name!"))).isEqualTo(ErrorCode.INVALID_NAME);
        }
    }

    @Test
    void presenceIsPushedToContactsAndAListedUserGoesOfflineWhenTheSessionEnds() throws Exception {
        try (User alice = register("alice"); User bob = register("bob")) {
            await(alice.client().send(Target.user(bob.name()), "hi")); // now they are contacts
            assertThat(await(alice.client().whoIsOnline())).extracting(UserPresence::name, UserPresence::online)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(bob.name(), true));
            bob.close();
            eventually(() -> assertThat(alice.events().presence).contains(new UserPresence(
                    alice.events().presence.isEmpty() ? 0 : alice.events().presence.getLast().accountId(), bob.name(), false)));
            assertThat(await(alice.client().whoIsOnline(bob.name())).getFirst().online()).isFalse();
            try (User bobAgain = login(bob.name(), "again")) {
                eventually(() -> assertThat(alice.events().presence.getLast().online()).isTrue());
                assertThat(await(alice.client().directory("", 500, true))).extracting(DirectoryEntry::name).contains(bob.name());
            }
        }
    }
}
