package dev.fastchat.app.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PatternTest {
    @Test
    void eachPatternSendsWhereItSays() {
        int clients = 10;
        Set<Integer> hot = new HashSet<>();
        for (long k = 0; k < 1000; k++) {
            Pattern.Step oddEven = Pattern.ODD_EVEN.step(k, clients, 4);
            assertThat(oddEven.sender() % 2).isEqualTo(1);
            assertThat(oddEven.recipient()).isEqualTo(oddEven.sender() - 1);

            Pattern.Step half = Pattern.SAME_HALF.step(k, clients, 4);
            assertThat(half.recipient()).isNotEqualTo(half.sender());
            assertThat(half.recipient() < clients / 2).isEqualTo(half.sender() < clients / 2);

            Pattern.Step three = Pattern.TO_FIRST_THREE.step(k, clients, 4);
            assertThat(three.sender()).isBetween(3, clients - 1);
            hot.add(three.recipient());

            Pattern.Step group = Pattern.GROUP.step(k, clients, 4);
            assertThat(group.toGroup()).isTrue();
            assertThat(group.sender()).isBetween(0, 3);
        }
        assertThat(hot).containsExactlyInAnyOrder(0, 1, 2);
        long toGroup = java.util.stream.LongStream.range(0, 1000).filter(k -> Pattern.MIXED.step(k, clients, 4).toGroup()).count();
        assertThat(toGroup).isEqualTo(200);
    }

    @Test
    void namesParseAndUnknownOnesAreRefused() {
        for (Pattern pattern : Pattern.values()) {
            assertThat(Pattern.parse(pattern.label())).isEqualTo(pattern);
        }
        assertThatThrownBy(() -> Pattern.parse("everyone")).hasMessageContaining("unknown pattern 'everyone'");
    }
}
