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
 * An attacker guesses passwords over real sockets against a server with the default throttle: the victim,
 * logging in from another address (127.0.0.2), is never refused; the attacker's guesses are held to a few per
 * second. (The old throttle locked the victim's account for 15 minutes after 5 wrong guesses.)
 */
class GuessingAttackTest {
    @TempDir
    Path dir;

    @Test
    void theVictimLogsInDuringAnAttackAndTheAttackerIsHeldToAFewGuessesPerSecond() {
        try (TestServer server = TestServer.start(dir, Map.of())) {
            String victim = WireClient.uniqueName("victim");
            byte[] key = WireClient.random(32);
            try (WireClient setup = server.connect()) {
                setup.hello();
                setup.register(victim, key);
            }
            try (WireClient attacker = server.connect()) {
                attacker.hello();
                int wrong = 0;
                int limited = 0;
                long end = System.nanoTime() + 2_000_000_000L;
                int account = 0;
                while (System.nanoTime() < end) { // two seconds of guessing, at the victim and at many accounts
                    String target = account++ % 2 == 0 ? victim : WireClient.uniqueName("other");
                    Envelope answer = attacker.login(target, WireClient.random(32));
                    if (answer.getError().getCode() == ErrorCode.WRONG_CREDENTIALS) {
                        wrong++;
                    } else {
                        assertThat(answer.getError().getCode()).isEqualTo(ErrorCode.RATE_LIMITED);
                        assertThat(answer.getError().getRetryAfterMs()).isPositive();
                        limited++;
                    }
                }
                assertThat(wrong).as("guesses checked in 2 s (burst 10, then 2 a second)").isLessThanOrEqualTo(10 + 2 * 2 + 1);
                assertThat(limited).isPositive();

                try (WireClient user = WireClient.connectFrom(server.address(), "127.0.0.2")) {
                    user.hello();
                    assertThat(user.login(victim, key).hasSession()).as("the victim from a clean address").isTrue();
                }
            }
        }
    }
}
