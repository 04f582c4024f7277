package dev.fastchat.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What counts as a mention of a user: {@code @name} as a word of its own, whatever the case. */
class MentionsTest {
    @Test
    void aMentionIsTheNameAfterAnAtSignAsAWordOfItsOwn() {
        assertThat(ChatMessage.mentions("@bob look", "bob")).isTrue();
        assertThat(ChatMessage.mentions("thanks @Bob.", "bob")).isTrue();
        assertThat(ChatMessage.mentions("(@bob) and @alice, hi", "bob")).isTrue();
        assertThat(ChatMessage.mentions("ask @bob-the-builder", "bob")).isFalse();
        assertThat(ChatMessage.mentions("ask @bob.smith", "bob")).isFalse();
        assertThat(ChatMessage.mentions("ask @bobby", "bob")).isFalse();
        assertThat(ChatMessage.mentions("mail me@bob.org", "bob")).isFalse();
        assertThat(ChatMessage.mentions("bob without the sign", "bob")).isFalse();
        assertThat(ChatMessage.mentions("@bob.smith, look", "bob.smith")).isTrue();
    }
}
