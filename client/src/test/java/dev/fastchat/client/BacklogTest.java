package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static dev.fastchat.client.ChatFixture.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.client.ChatFixture.User;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A user who logs in to a backlog of unread messages sees what arrives now first, and the backlog after it. */
class BacklogTest {
    private static final int UNREAD = 150;

    @RegisterExtension
    static final ChatFixture chats = new ChatFixture();

    private static void sendMany(User from, String to, String prefix) throws Exception {
        List<CompletableFuture<SentMessage>> sends = new ArrayList<>();
        for (int i = 1; i <= UNREAD; i++) {
            sends.add(from.client().send(Target.user(to), prefix + i));
        }
        for (CompletableFuture<SentMessage> send : sends) {
            await(send);
        }
    }

    @Test
    void aMessagePushedAfterALogInIsShownBeforeTheUnreadBacklogWhichComesAfterItForItsConversationAlone() throws Exception {
        String bob;
        try (User first = chats.register("bob")) {
            bob = first.name();
        }
        try (User alice = chats.register("alice"); User carol = chats.register("carol")) {
            sendMany(alice, bob, "a");
            sendMany(carol, bob, "c");
            try (User back = chats.login(bob, "first")) {
                await(alice.client().send(Target.user(bob), "now"));

                eventually(() -> assertThat(back.events().messages).hasSize(UNREAD + 1));
                assertThat(back.events().texts().getFirst()).isEqualTo("now");
                assertThat(back.events().texts()).containsExactlyInAnyOrderElementsOf(
                        IntStream.rangeClosed(0, UNREAD).mapToObj(i -> i == 0 ? "now" : "a" + i).toList());
                // the backlog after it, in seq order (the sends went out at once: seqs are not in the order of the texts)
                assertThat(back.events().messages).extracting(ChatMessage::seq).containsExactlyElementsOf(
                        IntStream.rangeClosed(0, UNREAD).mapToObj(i -> i == 0 ? UNREAD + 1L : i).toList());
                // carol's conversation had no push: nothing of it is fetched, for as long as one watches
                org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(300)).atMost(java.time.Duration.ofSeconds(2))
                        .untilAsserted(() -> assertThat(back.events().texts()).noneMatch(text -> text.startsWith("c")));

                // A sync still finds carol's backlog, and not alice's again.
                assertThat(await(back.client().sync())).extracting(ChatMessage::text)
                        .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, UNREAD).mapToObj(i -> "c" + i).toList());
            }
        }
    }
}
