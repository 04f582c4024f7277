package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static dev.fastchat.client.ChatClientTest.codeOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.client.ChatFixture.User;
import dev.fastchat.protocol.v1.ErrorCode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Replies, edits, reactions and deletion for everyone, through the real server and client library: what every member
 * shows ({@link Timeline}), what another member cannot do to a message that is not theirs, and what is left on the
 * server after a deletion.
 */
class MessageActionsTest {
    @RegisterExtension
    static final ChatFixture chats = new ChatFixture();

    private static Timeline timeline(User user, Target conversation) throws Exception {
        Timeline timeline = new Timeline();
        timeline.add(await(user.client().history(conversation, 0, 200)));
        return timeline;
    }

    @Test
    void membersShowRepliesEditsAndReactionsAlike() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob"); User carol = chats.register("carol");
             User dave = chats.register("dave")) {
            Target group = Target.group(SignedMembershipTest.groupOf(alice, bob, carol, dave));
            long first = await(alice.client().send(group, "helo all")).seq();
            long reply = await(bob.client().messages().reply(group, first, "hi alice")).seq();
            await(alice.client().messages().edit(group, first, "hello all"));
            await(bob.client().messages().react(group, first, "👍"));
            await(carol.client().messages().react(group, first, "👍"));
            await(carol.client().messages().react(group, first, "❤️"));
            await(carol.client().messages().unreact(group, first, "👍"));
            await(alice.client().messages().edit(group, first, "hello, all"));
            // Not bob's message: every member ignores his edit, although it is the newest.
            long last = await(bob.client().messages().edit(group, first, "bob was here")).seq();

            // Live, dave's client reported every one of them as it came; a timeline fed with them shows the same as history.
            ChatFixture.eventually(() -> assertThat(dave.events().messages).extracting(ChatMessage::seq).contains(last));
            Timeline live = new Timeline();
            live.add(dave.events().messages);
            for (User member : List.of(alice, bob, carol, dave)) {
                for (Timeline timeline : List.of(timeline(member, group), live)) {
                    Timeline.Shown shown = timeline.shown(first).orElseThrow();
                    assertThat(shown.text()).as(member.name()).isEqualTo("hello, all");
                    assertThat(shown.edited()).isTrue();
                    assertThat(shown.editSeqs()).hasSize(2);
                    assertThat(shown.reactions()).isEqualTo(Map.of("👍", List.of(bob.name()), "❤️", List.of(carol.name())));
                    Timeline.Shown answer = timeline.shown(reply).orElseThrow();
                    assertThat(answer.text()).isEqualTo("hi alice");
                    assertThat(answer.repliedTo()).map(ChatMessage::seq).contains(first);
                    assertThat(timeline.shown()).extracting(Timeline.Shown::text).containsExactly("hello, all", "hi alice");
                }
            }
        }
    }

    @Test
    void theAuthorDeletesAMessageForEveryoneAndTheServerKeepsOnlyATombstone() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob")) {
            Target group = Target.group(SignedMembershipTest.groupOf(alice, bob));
            long secret = await(alice.client().send(group, "my password is hunter2")).seq();
            long edit = await(alice.client().messages().edit(group, secret, "my password is hunter3")).seq();
            long kept = await(bob.client().send(group, "noted")).seq();
            String conversation = await(alice.client().groups().list()).getFirst().conversationId();

            // bob cannot delete alice's message, nor (all or none) his own with it.
            assertThat(codeOf(bob.client().messages().delete(group, secret))).isEqualTo(ErrorCode.NOT_AUTHOR);

            assertThat(await(alice.client().messages().delete(group, secret))).containsExactly(secret, edit);
            ChatFixture.eventually(() -> assertThat(bob.events().deleted).containsExactly(secret, edit));
            for (long seq : new long[] {secret, edit}) {
                byte[] left = (byte[]) chats.readDatabase("SELECT sealed FROM messages WHERE conversation_id = ? AND seq = ?",
                        conversation, seq)[0];
                assertThat(left).as("what the server keeps of #%d", seq).isEmpty();
            }
            assertThat((byte[]) chats.readDatabase("SELECT sealed FROM messages WHERE conversation_id = ? AND seq = ?",
                    conversation, kept)[0]).isNotEmpty();

            Timeline timeline = timeline(bob, group);
            assertThat(timeline.shown(secret).orElseThrow().deleted()).isTrue();
            assertThat(timeline.shown()).extracting(Timeline.Shown::text).containsExactly("", "", "noted");
            assertThat(bob.events().rejected).isEmpty();
        }
    }

    @Test
    void badReactionsAndSeqsAreRefusedBeforeAnythingIsSent() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob")) {
            Target dm = Target.user(bob.name());
            long seq = await(alice.client().send(dm, "hi")).seq();
            assertThat(codeOf(alice.client().messages().react(dm, seq, "x".repeat(33)))).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(codeOf(alice.client().messages().react(dm, seq, "\u0007"))).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(codeOf(alice.client().messages().edit(dm, 0, "no such message"))).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(codeOf(alice.client().messages().reply(dm, seq, " "))).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(await(bob.client().history(Target.user(alice.name()), 0, 10))).hasSize(1);
        }
    }

    @Test
    void typingNoticesReachTheMembersOnlineAreNeverStoredAndAreRateLimited() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob"); User carol = chats.register("carol")) {
            Target group = Target.group(SignedMembershipTest.groupOf(alice, bob, carol));
            long before = await(alice.client().send(group, "hi")).seq();
            await(alice.client().messages().typing(group, true));
            await(alice.client().messages().typing(group, false));
            for (User member : List.of(bob, carol)) {
                ChatFixture.eventually(() -> assertThat(member.events().typing)
                        .containsExactly(alice.name() + " is typing", alice.name() + " stopped"));
            }
            assertThat(alice.events().typing).isEmpty();
            String conversation = await(alice.client().groups().list()).getFirst().conversationId();
            assertThat(((Number) chats.readDatabase("SELECT MAX(seq) FROM messages WHERE conversation_id = ?", conversation)[0])
                    .longValue()).as("nothing stored").isEqualTo(before);
            assertThat(await(bob.client().history(group, 0, 10))).hasSize(1);

            // A burst beyond notice-burst (10) is refused.
            int limited = 0;
            for (int i = 0; i < 20; i++) {
                try {
                    await(alice.client().messages().typing(group, true));
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(((ChatException) e.getCause()).code()).isEqualTo(ErrorCode.RATE_LIMITED);
                    limited++;
                }
            }
            assertThat(limited).isPositive();
        }
    }

    @Test
    void searchFindsWhatIsShownHereWithItsContext() throws Exception {
        try (User alice = chats.register("alice"); User bob = chats.register("bob")) {
            Target dm = Target.user(bob.name());
            await(alice.client().send(dm, "lunch at noon?"));
            long typo = await(alice.client().send(dm, "the PASSWROD is in the vault")).seq();
            await(alice.client().messages().edit(dm, typo, "the password is in the vault"));
            long gone = await(alice.client().send(dm, "old password: hunter2")).seq();
            await(alice.client().messages().delete(dm, gone));
            await(bob.client().send(Target.user(alice.name()), "thanks"));

            List<Messages.SearchHit> hits = await(bob.client().messages().search(Target.user(alice.name()), "Password", 100));
            assertThat(hits).hasSize(1); // the edited text matches; the deleted message never does
            Messages.SearchHit hit = hits.getFirst();
            assertThat(hit.match().message().seq()).isEqualTo(typo);
            assertThat(hit.match().text()).isEqualTo("the password is in the vault");
            assertThat(hit.before()).map(Timeline.Shown::text).contains("lunch at noon?");
            assertThat(hit.after()).map(Timeline.Shown::deleted).contains(true);
            assertThat(await(bob.client().messages().search(Target.user(alice.name()), "PASSWROD", 100))).isEmpty();
            assertThat(await(bob.client().messages().search(Target.user(alice.name()), "lunch", 1))).as("beyond the depth").isEmpty();
        }
    }
}
