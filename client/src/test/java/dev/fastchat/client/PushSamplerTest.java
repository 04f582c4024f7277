package dev.fastchat.client;

import static dev.fastchat.client.ChatClientTest.await;
import static dev.fastchat.client.ChatFixture.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.client.ChatFixture.Recorder;
import dev.fastchat.client.ChatFixture.User;
import dev.fastchat.server.testing.WireClient;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A load generator's sampler: the pushes it picks are opened and reported, the others are reported to it once, unopened. */
class PushSamplerTest {
    @RegisterExtension
    static final ChatFixture chats = new ChatFixture();

    @Test
    void pushesTheSamplerLeavesAreNotOpenedReportedOnceAndNotFetchedAgainBySyncs() throws Exception {
        List<Long> unopened = new CopyOnWriteArrayList<>();
        PushSampler evenSeqs = new PushSampler() {
            @Override
            public boolean open(String conversationId, long seq, long senderId) {
                return seq % 2 == 0;
            }

            @Override
            public void unopened(String conversationId, long seq, long senderId) {
                unopened.add(seq);
            }
        };
        String name = WireClient.uniqueName("bob");
        Recorder recorder = new Recorder();
        try (User alice = chats.register("alice");
             ChatClient bob = chats.builder(chats.keys(name, "first"), recorder).pushSampler(evenSeqs).build()) {
            await(bob.connect());
            await(bob.register(name, "pw".toCharArray()));
            for (int i = 1; i <= 10; i++) {
                await(alice.client().send(Target.user(name), "m" + i));
            }

            eventually(() -> assertThat(unopened).hasSize(5));
            eventually(() -> assertThat(recorder.messages).hasSize(5));
            assertThat(unopened).containsExactly(1L, 3L, 5L, 7L, 9L);
            assertThat(recorder.messages).extracting(ChatMessage::seq).containsExactly(2L, 4L, 6L, 8L, 10L);
            assertThat(recorder.texts()).containsExactly("m2", "m4", "m6", "m8", "m10");
            // what was left unopened counts as seen: a sync brings none of the ten again
            assertThat(await(bob.sync())).isEmpty();
            assertThat(unopened).hasSize(5);
        }
    }
}
