package dev.fastchat.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class MessageIdsTest {
    @Test
    void idsAreVersion7AndEachSortsAfterTheOneBefore() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            ids.add(MessageIds.next());
        }
        assertThat(new HashSet<>(ids)).hasSize(ids.size());
        assertThat(ids).isSorted(); // as strings: the order of the server's index
        assertThat(ids).allSatisfy(id -> assertThat(UUID.fromString(id).version()).isEqualTo(7));
    }

    @Test
    void anIdCarriesTheMillisecondItWasMade() {
        long before = System.currentTimeMillis();
        UUID id = UUID.fromString(MessageIds.next());
        long after = System.currentTimeMillis();
        assertThat(id.getMostSignificantBits() >>> 16).isBetween(before, after);
    }

    @Test
    void prefixedIdsKeepTheirOrderAfterThePrefix() {
        String first = MessageIds.next("receipt-");
        String second = MessageIds.next("receipt-");
        assertThat(first).startsWith("receipt-").isLessThan(second);
    }
}
