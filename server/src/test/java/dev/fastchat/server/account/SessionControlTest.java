package dev.fastchat.server.account;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.protocol.v1.EndSession;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.ListSessions;
import dev.fastchat.protocol.v1.Logout;
import dev.fastchat.protocol.v1.Resume;
import dev.fastchat.protocol.v1.SessionEntry;
import dev.fastchat.protocol.v1.SessionList;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions under the user's control, over real sockets: a log-out (here or everywhere) and a session ended from
 * the list close that session's live connections at once, and an expired token's connections close by
 * themselves. A second connection of a logged-out token used to keep sending.
 */
class SessionControlTest {
    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(dir, Map.of());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A connection that said Hello and resumed {@code token}. */
    private static WireClient resumed(TestServer on, String token) {
        WireClient client = on.connect();
        client.hello();
        assertThat(client.call(Envelope.newBuilder().setResume(Resume.newBuilder().setToken(token))).hasSession()).isTrue();
        return client;
    }

    private static String register(WireClient client, String name, byte[] key) {
        client.hello();
        return client.register(name, key).getSession().getToken();
    }

    @Test
    void loggingOutClosesEveryOtherLiveConnectionOfThatSessionAtOnce() {
        try (WireClient first = server.connect()) {
            String token = register(first, WireClient.uniqueName("out"), WireClient.random(32));
            try (WireClient second = resumed(server, token)) {
                assertThat(first.call(Envelope.newBuilder().setLogout(Logout.getDefaultInstance())).hasOk()).isTrue();
                Envelope pushed = second.read();
                assertThat(pushed.hasSessionEnded()).as("%s", pushed).isTrue();
                assertThat(pushed.getSessionEnded().getReason()).isEqualTo("logged out");
                assertThat(pushed.getSessionEnded().getTokenHash().isEmpty()).as("no hash to clients").isTrue();
                assertThat(second.closedByServer()).isTrue();
            }
            try (WireClient again = server.connect()) {
                again.hello();
                assertThat(again.call(Envelope.newBuilder().setResume(Resume.newBuilder().setToken(token))).getError().getCode())
                        .isEqualTo(ErrorCode.UNAUTHENTICATED);
            }
        }
    }

    @Test
    void loggingOutEverywhereClosesTheOtherDevicesAndListingShowsEachDevice() {
        String name = WireClient.uniqueName("devices");
        byte[] key = WireClient.random(32);
        try (WireClient laptop = server.connect(); WireClient phone = server.connect()) {
            register(laptop, name, key);
            phone.hello();
            assertThat(phone.login(name, key).hasSession()).isTrue();

            SessionList list = laptop.call(Envelope.newBuilder().setListSessions(ListSessions.getDefaultInstance())).getSessionList();
            assertThat(list.getSessionsList()).hasSize(2);
            assertThat(list.getSessionsList()).filteredOn(SessionEntry::getCurrent).extracting(SessionEntry::getDevice)
                    .containsExactly("test"); // the registering connection's device; the phone named none
            assertThat(list.getSessionsList()).extracting(SessionEntry::getDevice).containsExactlyInAnyOrder("test", "unnamed");
            for (SessionEntry entry : list.getSessionsList()) {
                assertThat(entry.getId()).matches("[0-9a-f]{16}");
                assertThat(entry.getCreatedAtMs()).isPositive();
                assertThat(entry.getLastSeenMs()).isGreaterThanOrEqualTo(entry.getCreatedAtMs());
                assertThat(entry.getAddress()).contains("127.0.0.1");
                assertThat(entry.getExpiresAtMs()).isGreaterThan(entry.getCreatedAtMs());
            }

            assertThat(laptop.call(Envelope.newBuilder().setLogout(Logout.newBuilder().setEverywhere(true))).hasOk()).isTrue();
            assertThat(phone.read().getSessionEnded().getReason()).isEqualTo("logged out on every device");
            assertThat(phone.closedByServer()).isTrue();
        }
    }

    @Test
    void aSessionEndedFromTheListLosesItsConnectionsAndItsToken() {
        String name = WireClient.uniqueName("end");
        byte[] key = WireClient.random(32);
        try (WireClient laptop = server.connect(); WireClient phone = server.connect()) {
            register(laptop, name, key);
            phone.hello();
            String phoneToken = phone.login(name, key).getSession().getToken();
            List<SessionEntry> sessions = laptop.call(Envelope.newBuilder().setListSessions(ListSessions.getDefaultInstance()))
                    .getSessionList().getSessionsList();
            SessionEntry other = sessions.stream().filter(s -> !s.getCurrent()).findFirst().orElseThrow();

            Envelope unknown = laptop.call(Envelope.newBuilder().setEndSession(EndSession.newBuilder().setId("0123456789abcdef")));
            assertThat(unknown.getError().getCode()).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(laptop.call(Envelope.newBuilder().setEndSession(EndSession.newBuilder().setId(other.getId()))).hasOk()).isTrue();
            assertThat(phone.read().hasSessionEnded()).isTrue();
            assertThat(phone.closedByServer()).isTrue();
            assertThat(laptop.call(Envelope.newBuilder().setListSessions(ListSessions.getDefaultInstance())).getSessionList()
                    .getSessionsList()).extracting(SessionEntry::getId).containsExactly(sessions.stream()
                            .filter(SessionEntry::getCurrent).findFirst().orElseThrow().getId());
            try (WireClient again = server.connect()) {
                again.hello();
                assertThat(again.call(Envelope.newBuilder().setResume(Resume.newBuilder().setToken(phoneToken))).hasError()).isTrue();
            }
        }
    }

    @Test
    void aConnectionWhoseTokenExpiresIsClosedByItself() {
        try (TestServer shortLived = TestServer.start(dir.resolve("short"), Map.of("token-ttl", "2s"));
             WireClient client = shortLived.connect()) {
            register(client, WireClient.uniqueName("ttl"), WireClient.random(32));
            Envelope pushed = client.readTimeout(10_000).read();
            assertThat(pushed.getSessionEnded().getReason()).isEqualTo("the session expired; log in again");
            assertThat(client.closedByServer()).isTrue();
        }
    }
}
