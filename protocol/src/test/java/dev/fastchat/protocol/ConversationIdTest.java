package dev.fastchat.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConversationIdTest {
    @Test
    void parsesTheCanonicalForms() {
        assertThat(ConversationId.parse("d:1:2")).contains(ConversationId.direct(1, 2));
        assertThat(ConversationId.parse("d:12:345")).contains(ConversationId.direct(345, 12));
        assertThat(ConversationId.parse("g:7")).contains(ConversationId.group(7));
        assertThat(ConversationId.parse("d:9223372036854775806:9223372036854775807"))
                .contains(ConversationId.direct(Long.MAX_VALUE - 1, Long.MAX_VALUE));
        assertThat(ConversationId.parse("g:9223372036854775807")).contains(ConversationId.group(Long.MAX_VALUE));
    }

    @Test
    void everyIdItMakesParsesBackToItself() {
        Random random = new Random(1);
        for (int i = 0; i < 10_000; i++) {
            long a = Math.max(1, (random.nextLong() >>> 1) >>> random.nextInt(63));
            long b = Math.max(1, (random.nextLong() >>> 1) >>> random.nextInt(63));
            if (a != b) {
                ConversationId direct = ConversationId.direct(a, b);
                assertThat(ConversationId.parse(direct.value())).contains(direct);
            }
            ConversationId group = ConversationId.group(a);
            assertThat(ConversationId.parse(group.value())).contains(group);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "d", "d:", "d:1", "d:1:", "d::2", "d:2:1", "d:1:1", "d:0:2", "d:-1:2", "d:+1:2", "d:01:2",
            "d:1:02", "d:1:2:3", "d:1:2 ", "d: 1:2", "d:1:x", "d:1:9223372036854775808", "d:1:99999999999999999999", "g:",
            "g:0", "g:05", "g:-5", "g:+5", "g:5:6", "g:x", "g:9223372036854775808", "x:1:2", "d1:2", "D:1:2", "G:5",
            "d:1:\u0662", "g:\u0665"})
    void refusesAnythingElse(String value) {
        assertThat(ConversationId.parse(value)).isEmpty();
    }

    @Test
    void refusesNullAndIdsLongerThanTheLimit() {
        assertThat(ConversationId.parse(null)).isEmpty();
        assertThat(ConversationId.parse("g:" + "1".repeat(ConversationId.MAX_LENGTH))).isEqualTo(Optional.empty());
    }
}
