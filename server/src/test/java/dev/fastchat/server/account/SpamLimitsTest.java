package dev.fastchat.server.account;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that mass-registers accounts, creates groups by the hundred or pulls a victim into them: each is
 * held to its rate, with a typed error and how long to wait, and others are not.
 */
class SpamLimitsTest {
    @TempDir
    Path dir;

    @Test
    void oneAddressRegistersAFewAccountsAnHourAndAnotherAddressIsNotHeldBack() {
        try (TestServer server = TestServer.start(dir, Map.of("registrations-per-address-per-hour", "3"))) {
            for (int i = 0; i < 3; i++) {
                try (WireClient client = WireClient.connectFrom(server.address(), "127.0.0.2")) {
                    client.hello();
                    assertThat(client.register(WireClient.uniqueName("bot"), WireClient.random(32)).hasSession()).isTrue();
                }
            }
            try (WireClient client = WireClient.connectFrom(server.address(), "127.0.0.2")) {
                client.hello();
                Envelope refused = client.register(WireClient.uniqueName("bot"), WireClient.random(32));
                assertThat(refused.getError().getCode()).isEqualTo(ErrorCode.RATE_LIMITED);
                assertThat(refused.getError().getReason()).contains("too many accounts registered from 127.0.0.2 (at most 3 an hour)");
                // A token comes back every 20 minutes.
                assertThat(refused.getError().getRetryAfterMs()).isBetween(19 * 60_000L, 20 * 60_000L);
            }
            try (WireClient other = WireClient.connectFrom(server.address(), "127.0.0.3")) {
                other.hello();
                assertThat(other.register(WireClient.uniqueName("human"), WireClient.random(32)).hasSession()).isTrue();
            }
        }
    }

    @Test
    void groupCreationsAndMemberAdditionsAreHeldToTheirRatePerAccount() {
        try (TestServer server = TestServer.start(dir, Map.of("group-creations-per-minute", "2", "member-additions-per-minute", "3"));
             WireClient spammer = server.connect(); WireClient other = server.connect()) {
            spammer.hello();
            spammer.register(WireClient.uniqueName("spam"), WireClient.random(32));
            other.hello();
            other.register(WireClient.uniqueName("other"), WireClient.random(32));
            String first = WireClient.uniqueName("g");
            assertThat(spammer.createGroup(first).hasGroupInfo()).isTrue();
            assertThat(spammer.createGroup(WireClient.uniqueName("g")).hasGroupInfo()).isTrue();
            Envelope refused = spammer.createGroup(WireClient.uniqueName("g"));
            assertThat(refused.getError().getCode()).isEqualTo(ErrorCode.RATE_LIMITED);
            assertThat(refused.getError().getReason()).contains("too many groups created (at most 2 a minute)");
            assertThat(refused.getError().getRetryAfterMs()).isBetween(1L, 30_000L);
            assertThat(other.createGroup(WireClient.uniqueName("g")).hasGroupInfo()).isTrue(); // per account

            for (int i = 0; i < 3; i++) {
                String member = WireClient.uniqueName("m");
                try (WireClient m = server.connect()) {
                    m.hello();
                    m.register(member, WireClient.random(32));
                }
                assertThat(spammer.invite(first, member).hasError()).isFalse();
            }
            String victim = WireClient.uniqueName("victim");
            try (WireClient m = server.connect()) {
                m.hello();
                m.register(victim, WireClient.random(32));
            }
            Envelope held = spammer.invite(first, victim);
            assertThat(held.getError().getCode()).isEqualTo(ErrorCode.RATE_LIMITED);
            assertThat(held.getError().getReason()).contains("too many members added (at most 3 a minute)");
            assertThat(held.getError().getRetryAfterMs()).isBetween(1L, 20_000L);
        }
    }
}
