package dev.fastchat.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.client.ChatClient;
import dev.fastchat.client.Target;
import dev.fastchat.crypto.KdfParams;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fastchat chat} as people use it: two real client processes in real pseudo-terminals (tmux) against
 * a real server, typed into key by key, and checked by what their screens show.
 */
class ChatTerminalTest {
    @TempDir
    Path dir;

    private List<String> chat(TestServer server, String user, String... extra) {
        List<String> command = new java.util.ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "chat", "--server", server.address().toString(), "--user", user, "--keys", dir.resolve("keys").toString()));
        command.addAll(List.of(extra));
        return command;
    }

    private static Map<String, String> lowKdf() {
        return Map.of("min-kdf-memory-kib", "8", "min-kdf-iterations", "1", "insecure-plaintext", "false"); // TLS, as users run it
    }

    private ChatClient register(TestServer server, String name) throws Exception {
        return register(server, name, new dev.fastchat.client.ChatListener() {});
    }

    private ChatClient register(TestServer server, String name, dev.fastchat.client.ChatListener listener) throws Exception {
        ChatClient client = ChatClient.builder().server("127.0.0.1", server.port()).keyStoreDirectory(dir.resolve("keys"))
                .registrationKdf(KdfParams.INSECURE_FOR_TESTS).listener(listener).build();
        client.connect().get(30, TimeUnit.SECONDS);
        client.register(name, "pw".toCharArray()).get(30, TimeUnit.SECONDS);
        return client;
    }

    @Test
    void twoUsersChatAndAMessageArrivingMidLineLeavesTheTypedTextAlone() throws Exception {
        String alice = WireClient.uniqueName("alice");
        String bob = WireClient.uniqueName("bob");
        try (TestServer server = TestServer.start(dir.resolve("server"), lowKdf()); Tmux tmux = new Tmux()) {
            try (ChatClient setup = register(server, alice)) {
                register(server, bob).close();
                setup.send(Target.user(bob), "sent while bob was away").get(30, TimeUnit.SECONDS);
            }
            List<String> env = List.of("FASTCHAT_PASSWORD=pw", "TERM=xterm-256color");
            tmux.start("bob", 150, 40, env, chat(server, bob));
            tmux.start("alice", 150, 40, env, chat(server, alice));
            tmux.waitFor("bob", "logged in as " + bob, "Direct messages: 1 unread", alice + ": sent while bob was away",
                    "Groups: 0 unread", "[fastchat]");
            tmux.waitFor("alice", "logged in as " + alice, "[fastchat]");

            tmux.type("bob", "/open " + alice.substring(0, 6));
            tmux.press("bob", "Tab"); // completes the name
            tmux.waitFor("bob", "/open " + alice);
            tmux.press("bob", "Enter");
            tmux.waitFor("bob", "now talking with " + alice, "[" + alice + "]");
            tmux.enter("alice", "/open " + bob);
            tmux.waitFor("alice", "now talking with " + bob);

            tmux.type("bob", "I am half way through a sen");
            tmux.waitFor("bob", "I am half way through a sen");
            tmux.enter("alice", "hello bob, 😀 and مرحبا");
            tmux.waitFor("bob", alice + ": hello bob, 😀 and مرحبا");
            assertThat(tmux.lastLine("bob")).matches(Tmux.prompt(alice) + " I am half way through a sen"); // untouched
            tmux.enter("bob", "tence");
            tmux.waitFor("alice", bob + ": I am half way through a sentence");
            assertThat(tmux.screenWithEscapes("alice")).contains("\u001b["); // coloured on a terminal

            // Text from others can move no cursor and set no colour: it is shown escaped.
            try (ChatClient sender = ChatClient.builder().server("127.0.0.1", server.port()).keyStoreDirectory(dir.resolve("keys"))
                    .build()) {
                sender.connect().get(30, TimeUnit.SECONDS);
                sender.login(alice, "pw".toCharArray()).get(30, TimeUnit.SECONDS);
                sender.send(Target.user(bob), "evil \u001b[2J\u001b[31mred\u0007 and\nsecond line").get(30, TimeUnit.SECONDS);
            }
            tmux.waitFor("bob", "evil \\x{1b}[2J\\x{1b}[31mred\\x{7} and", "second line", "sent while bob was away");

            // Files: sent in the background, shown with their id, saved on demand.
            java.nio.file.Path notes = java.nio.file.Files.writeString(dir.resolve("notes.txt"), "hello file");
            tmux.enter("bob", "/send-file " + notes);
            tmux.waitFor("bob", "sent notes.txt to " + alice);
            tmux.waitFor("alice", bob + ": [file] notes.txt (text/plain, 10 B) id ");
            java.util.regex.Matcher id = java.util.regex.Pattern.compile("/save ([0-9a-f]{32})").matcher(tmux.screen("alice"));
            assertThat(id.find()).isTrue();
            tmux.enter("alice", "/save " + id.group(1) + " " + dir.resolve("alice-downloads"));
            tmux.waitFor("alice", "saved " + dir.resolve("alice-downloads").resolve("notes.txt") + " (10 B)");
            assertThat(dir.resolve("alice-downloads").resolve("notes.txt")).hasContent("hello file");
            tmux.enter("bob", "/send-file " + dir.resolve("missing.txt"));
            tmux.waitFor("bob", dir.resolve("missing.txt") + " is not a readable file");

            // Mistakes get one clear line, and the client goes on.
            tmux.enter("bob", "/frobnicate");
            tmux.waitFor("bob", "unknown command /frobnicate; /help lists the commands");
            tmux.enter("bob", "/group add");
            tmux.waitFor("bob", "usage: /group create GROUP");
            tmux.enter("bob", "/group create team" + bob.substring(3));
            tmux.waitFor("bob", "created #team" + bob.substring(3));
            tmux.enter("alice", "/group add team" + bob.substring(3) + " " + alice);
            tmux.waitFor("alice", "you are not a member of team" + bob.substring(3));
            tmux.enter("bob", "/group add team" + bob.substring(3) + " " + alice);
            tmux.waitFor("alice", bob + " invited you to #team" + bob.substring(3) + ": /accept team" + bob.substring(3));
            tmux.enter("alice", "/accept team" + bob.substring(3));
            tmux.waitFor("alice", "you joined #team" + bob.substring(3) + " (2 members)");
            tmux.waitFor("bob", alice + " joined #team" + bob.substring(3));
            tmux.enter("alice", "/dm team" + bob.substring(3) + " news for the team");
            // bob has alice's conversation open: the group message is a one-line notice with a count
            tmux.waitFor("bob", alice + " in #team" + bob.substring(3) + " (1 unread, /open team" + bob.substring(3) + "): news for the team");
            tmux.enter("alice", "/group remove team" + bob.substring(3) + " " + bob);
            tmux.waitFor("alice", "only an admin of team" + bob.substring(3) + " can do that");
            tmux.enter("bob", "/group remove team" + bob.substring(3) + " " + alice);
            tmux.waitFor("alice", bob + " removed you from #team" + bob.substring(3));
            tmux.enter("bob", "/group remove team" + bob.substring(3) + " " + alice);
            tmux.waitFor("bob", alice + " is not a member of team" + bob.substring(3));
            tmux.paste("bob", "y".repeat(70 * 1024), dir.resolve("paste.txt"));
            tmux.press("bob", "Enter");
            tmux.waitFor("bob", "not sent: the message is 70.0 KiB; the limit is 64 KiB");
            // The same paste from a terminal without bracketed paste arrives key by key: answered as quickly, and
            // the client's memory stays bounded (it took minutes and a gigabyte when the editor redrew per key).
            tmux.enter("bob", "/unread");
            tmux.waitForPrompt("bob", alice);
            tmux.pasteAsKeys("bob", "z".repeat(70 * 1024), dir.resolve("keys.txt"));
            tmux.press("bob", "Enter");
            Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).untilAsserted(() -> {
                List<String> lines = tmux.screen("bob").lines().filter(l -> !l.isBlank()).toList();
                assertThat(lines.get(lines.size() - 2)).endsWith("not sent: the message is 70.0 KiB; the limit is 64 KiB");
                assertThat(lines.getLast().strip()).matches(Tmux.prompt(alice));
            });
            java.util.List<String> status = java.nio.file.Files.readAllLines(Path.of("/proc/" + tmux.pid("bob") + "/status"));
            long rssKib = status.stream().filter(l -> l.startsWith("VmRSS:")).map(l -> l.replaceAll("\\D", ""))
                    .mapToLong(Long::parseLong).findFirst().orElseThrow();
            assertThat(rssKib).as("client RSS in KiB").isLessThan(512 * 1024);
            tmux.enter("bob", "/help");
            tmux.waitFor("bob", "/history [N]", "/group create|add|remove|leave|members|promote", "/keys verify|mark-verified|accept USER",
                    "/send-file PATH", "/save FILE_ID [DIR]", "/quit");
            assertThat(tmux.screen("bob")).doesNotContain("Exception").doesNotContain("\tat ");

            // Ctrl-C drops the half-typed line; Ctrl-D leaves.
            tmux.type("alice", "never mind");
            tmux.waitFor("alice", "never mind");
            tmux.press("alice", "C-c");
            tmux.waitForPrompt("alice", bob);
            tmux.enter("alice", "/who");
            tmux.waitFor("alice", "online: " + bob);
            assertThat(tmux.screen("alice")).doesNotContain(bob + ": never mind");
            tmux.press("alice", "C-d");
            tmux.waitFor("alice", "bye");
            tmux.waitFor("bob", alice + " went offline");
        }
    }

    @Test
    void aServerThatGoesAwayAndComesBackIsReportedAndRepairedWithoutLosingAMessage() throws Exception {
        String alice = WireClient.uniqueName("alice");
        String bob = WireClient.uniqueName("bob");
        TestServer server = TestServer.start(dir.resolve("server"), lowKdf());
        int port = server.port();
        try (Tmux tmux = new Tmux()) {
            register(server, alice).close();
            register(server, bob).close();
            tmux.start("bob", 150, 40, List.of("FASTCHAT_PASSWORD=pw", "NO_COLOR=1", "TERM=xterm-256color"),
                    chat(server, bob));
            tmux.waitFor("bob", "logged in as " + bob, "[fastchat]");
            tmux.enter("bob", "/open " + alice);
            tmux.waitFor("bob", "now talking with " + alice);
            assertThat(tmux.screenWithEscapes("bob")).doesNotContain("\u001b["); // NO_COLOR is honoured

            server.close();
            tmux.waitFor("bob", "connection lost", "reconnecting in");
            tmux.enter("bob", "anyone there?");
            tmux.waitFor("bob", "not connected: the message is sent once the connection is back");
            server = TestServer.start(dir.resolve("server"), Map.of("insecure-plaintext", "false", "listen", "127.0.0.1:" + port,
                    "min-kdf-memory-kib", "8", "min-kdf-iterations", "1"));
            tmux.waitFor("bob", "-- reconnected");
            try (ChatClient sender = ChatClient.builder().server("127.0.0.1", port).keyStoreDirectory(dir.resolve("keys")).build()) {
                sender.connect().get(30, TimeUnit.SECONDS);
                sender.login(alice, "pw".toCharArray()).get(30, TimeUnit.SECONDS);
                sender.send(Target.user(bob), "welcome back").get(30, TimeUnit.SECONDS);
            }
            tmux.waitFor("bob", alice + ": welcome back", "» " + bob + ": anyone there?"); // held, then sent
            tmux.enter("bob", "/quit");
            tmux.waitFor("bob", "bye");
        } finally {
            server.close();
        }
    }

    @Test
    void repliesEditsReactionsAndDeletionsShowInPlace() throws Exception {
        String alice = WireClient.uniqueName("alice");
        String bob = WireClient.uniqueName("bob");
        List<String> typing = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (TestServer server = TestServer.start(dir.resolve("server"), lowKdf()); Tmux tmux = new Tmux();
             ChatClient sender = register(server, alice, new dev.fastchat.client.ChatListener() {
                 @Override
                 public void typing(String conversationId, String who, boolean isTyping) {
                     typing.add(who + (isTyping ? " is typing" : " stopped"));
                 }
             })) {
            register(server, bob).close();
            String dm = sender.send(Target.user(bob), "helo").get(30, TimeUnit.SECONDS).conversationId();
            tmux.start("bob", 150, 50, List.of("FASTCHAT_PASSWORD=pw", "NO_COLOR=1", "TERM=xterm-256color"), chat(server, bob));
            tmux.waitFor("bob", "logged in as " + bob, "[fastchat]");
            tmux.enter("bob", "/open " + alice);
            // (the line of the log-in summary has "helo" too: the conversation is open once this is shown)
            tmux.waitFor("bob", "now talking with " + alice);

            // Typing notices both ways: shown after bob's prompt while alice types; sent as bob types a line.
            sender.messages().typing(Target.user(bob), true).get(30, TimeUnit.SECONDS);
            tmux.waitFor("bob", "[" + alice + "] (" + alice + " is typing…)");
            tmux.type("bob", "wait");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> typing.contains(bob + " is typing"));
            tmux.press("bob", "C-u");
            tmux.waitFor("bob", "[" + alice + "] ");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> !tmux.screen("bob").contains("is typing…")); // shown for 6 s without a new notice

            tmux.enter("bob", "/reply hi");
            tmux.waitFor("bob", bob + ": [re ^1 (" + alice + ": helo)] hi  ^2");
            tmux.waitFor("bob", "[" + alice + "] (^2 ");  // sent, or delivered by now
            // alice reads it: bob's prompt says so, and /info tells who got and read it.
            sender.markRead(dm, 2).get(30, TimeUnit.SECONDS);
            tmux.waitFor("bob", "[" + alice + "] (^2 read) ");
            tmux.enter("bob", "/info");
            tmux.waitFor("bob", "^2 (hi): read", "  delivered to: " + alice, "  read by: " + alice);
            sender.messages().edit(Target.user(bob), 1, "hello").get(30, TimeUnit.SECONDS);
            tmux.waitFor("bob", alice + ": ✎ ^1 (" + alice + ": hello): hello  ^3");
            tmux.enter("bob", "/react +1");
            tmux.waitFor("bob", bob + " reacted +1 to ^1 (" + alice + ": hello)  +1 1");
            tmux.enter("bob", "/react ^1 +1");
            tmux.waitFor("bob", bob + " took back +1 on ^1");
            tmux.enter("bob", "/edit hi there");
            tmux.waitFor("bob", bob + ": ✎ ^2 (" + bob + ": hi there): hi there  ^6");
            tmux.enter("bob", "/delete ^1");
            tmux.waitFor("bob", "^1 is not a message of yours");

            sender.messages().delete(Target.user(bob), 1).get(30, TimeUnit.SECONDS);
            tmux.waitFor("bob", "-- deleted for everyone with " + alice + ": ^1 (" + alice + ": hello)");
            tmux.enter("bob", "/open " + alice); // the conversation again, from the server: folded
            tmux.waitFor("bob", alice + ": [deleted]  ^1", bob + ": [re ^1 (" + alice + ": [deleted])] hi there (edited)  ^2");
            String again = tmux.screen("bob");
            again = again.substring(again.lastIndexOf("now talking with"));
            assertThat(again).doesNotContain("✎").doesNotContain("reacted").doesNotContain("hello");

            // Mentions: completed from the open conversation, counted apart while elsewhere; found by /search.
            tmux.type("bob", "@" + alice.substring(0, 5));
            tmux.press("bob", "Tab");
            tmux.waitFor("bob", "@" + alice);
            tmux.press("bob", "C-u");
            String team = "team" + bob.substring(3);
            sender.groups().create(team).get(30, TimeUnit.SECONDS);
            sender.groups().add(team, bob).get(30, TimeUnit.SECONDS);
            tmux.enter("bob", "/accept " + team);
            tmux.waitFor("bob", "you joined #" + team);
            sender.send(Target.group(team), "@" + bob + " can you look?").get(30, TimeUnit.SECONDS);
            tmux.waitFor("bob", "(1 unread, 1 mentioning you, /open " + team + "): @" + bob + " can you look?");
            tmux.enter("bob", "/unread");
            tmux.waitFor("bob", "Groups: 1 unread, 1 mentioning you", "  #" + team + ": 1 (1 mentioning you)");
            tmux.enter("bob", "/search THERE");
            tmux.waitFor("bob", "-- 1 message contains THERE");
        }
    }

    @Test
    void historyPagesBackOverLiveMessagesAndGroupCommandsSayWhatHappenedOnce() throws Exception {
        String alice = WireClient.uniqueName("alice");
        String bob = WireClient.uniqueName("bob");
        String team = "team" + bob.substring(3);
        try (TestServer server = TestServer.start(dir.resolve("server"), lowKdf()); Tmux tmux = new Tmux()) {
            ChatClient sender = register(server, alice);
            register(server, bob).close();
            sender.send(Target.user(bob), "m1").get(30, TimeUnit.SECONDS);
            tmux.start("bob", 150, 60, List.of("FASTCHAT_PASSWORD=pw", "NO_COLOR=1", "TERM=xterm-256color",
                    "HOME=" + dir.resolve("home"), "XDG_DOWNLOAD_DIR=" + dir.resolve("xdg-downloads")), chat(server, bob));
            tmux.waitFor("bob", "logged in as " + bob, "[fastchat]");
            tmux.enter("bob", "/open " + alice);
            tmux.waitFor("bob", "now talking with " + alice, alice + ": m1");
            for (int i = 2; i <= 13; i++) {
                sender.send(Target.user(bob), "m" + i).get(30, TimeUnit.SECONDS);
            }
            tmux.waitFor("bob", alice + ": m13");
            tmux.enter("bob", "/history 5");
            tmux.waitFor("bob", "-- earlier messages:");
            tmux.enter("bob", "/history 5");
            tmux.enter("bob", "/history 5");
            tmux.enter("bob", "/history 5");
            tmux.waitFor("bob", "-- that was the first message");
            String screen = tmux.screen("bob");
            String paged = screen.substring(screen.indexOf("-- earlier messages:"));
            // three pages: m9..m13, m4..m8, m1..m3, each oldest first
            assertThat(paged).containsSubsequence(alice + ": m9", alice + ": m13", alice + ": m4", alice + ": m8",
                    alice + ": m1", alice + ": m3", "that was the first message");

            // Blank lines are not sent; the group rules are checked; each change is reported once.
            tmux.enter("bob", "   ");
            tmux.enter("bob", "/group create foo bar");
            tmux.waitFor("bob", "usage: /group create GROUP");
            tmux.enter("bob", "/group create " + team);
            tmux.waitFor("bob", "created #" + team);
            tmux.enter("bob", "/group members " + team);
            tmux.waitFor("bob", "#" + team + ": 1 member");
            tmux.enter("bob", "/group add " + team + " " + alice);
            tmux.waitFor("bob", alice + " invited to #" + team + "; they join when they accept");
            sender.invitations().accept(team).get(30, TimeUnit.SECONDS);
            tmux.waitFor("bob", alice + " joined #" + team);
            tmux.enter("bob", "/group add " + team + " " + alice);
            tmux.waitFor("bob", alice + " is already a member of " + team);
            tmux.enter("bob", "/groups");
            tmux.waitFor("bob", "#" + team + "  2 members, you are admin");
            screen = tmux.screen("bob");
            assertThat(screen).doesNotContain("#foo").doesNotContain(bob + " invited " + alice);
            assertThat(screen.split("created #" + team, -1)).hasSize(2); // said once
            assertThat(screen).doesNotContain("» " + bob + ":   ");

            // /save with no folder saves under XDG_DOWNLOAD_DIR.
            java.nio.file.Path notes = java.nio.file.Files.writeString(dir.resolve("notes.txt"), "hello file");
            sender.files().send(Target.user(bob), notes).get(30, TimeUnit.SECONDS);
            tmux.waitFor("bob", alice + ": [file] notes.txt");
            java.util.regex.Matcher id = java.util.regex.Pattern.compile("/save ([0-9a-f]{32})").matcher(tmux.screen("bob"));
            assertThat(id.find()).isTrue();
            tmux.enter("bob", "/save " + id.group(1));
            tmux.waitFor("bob", "saved " + dir.resolve("xdg-downloads").resolve("fastchat").resolve("notes.txt"));
            sender.close();
        }
    }

    @Test
    void aSessionTheServerForgotIsReportedOnceAndTheUserLogsInAgain() throws Exception {
        String alice = WireClient.uniqueName("alice");
        String bob = WireClient.uniqueName("bob");
        TestServer server = TestServer.start(dir.resolve("server"), lowKdf());
        int port = server.port();
        try (Tmux tmux = new Tmux()) {
            register(server, alice).close();
            register(server, bob).close();
            // No FASTCHAT_PASSWORD: the password is typed, as a person would.
            tmux.start("bob", 150, 40, List.of("NO_COLOR=1", "TERM=xterm-256color"), chat(server, bob));
            tmux.waitFor("bob", "Password for " + bob);
            tmux.enter("bob", "pw");
            tmux.waitFor("bob", "logged in as " + bob, "[fastchat]");

            // The server goes away for a while: the repair shows as one line that updates, not a line per try.
            server.close();
            tmux.waitFor("bob", "connection lost");
            Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> tmux.screen("bob").contains("attempt 3"));
            assertThat(tmux.screen("bob").lines().filter(l -> l.contains("(reconnecting in")).count()).isEqualTo(1);

            // It comes back without its sessions (its data was reset, say): reported once; the password is asked.
            try (java.sql.Connection db = java.sql.DriverManager.getConnection(
                    "jdbc:sqlite:" + dir.resolve("server").resolve("fastchat.db"));
                 java.sql.Statement statement = db.createStatement()) {
                statement.executeUpdate("DELETE FROM sessions");
            }
            server = TestServer.start(dir.resolve("server"), Map.of("insecure-plaintext", "false", "listen", "127.0.0.1:" + port,
                    "min-kdf-memory-kib", "8", "min-kdf-iterations", "1"));
            tmux.waitFor("bob", "the server no longer knows this session", "(logged out: press Enter to log in again)");
            tmux.press("bob", "Enter");
            tmux.waitFor("bob", "Password for " + bob + " (Ctrl-D to quit)");
            tmux.enter("bob", "pw");
            tmux.waitFor("bob", "-- logged in again as " + bob);
            tmux.enter("bob", "/dm " + alice + " back again");
            tmux.waitFor("bob", "» " + bob + " → " + alice + ": back again");
            String screen = tmux.screen("bob");
            assertThat(screen.split("no longer knows this session", -1)).hasSize(2);
            assertThat(screen).doesNotContain("No value present").doesNotContain("log in first").doesNotContain("Exception");
            tmux.enter("bob", "/quit");
            tmux.waitFor("bob", "bye");
        } finally {
            server.close();
        }
    }

    @Test
    void aContactsKeyChangeReachesARunningChatAtOnceAndNothingIsSealedToTheNewKeyUntilAccepted() throws Exception {
        String alice = WireClient.uniqueName("alice");
        String bob = WireClient.uniqueName("bob");
        try (TestServer server = TestServer.start(dir.resolve("server"), lowKdf()); Tmux tmux = new Tmux()) {
            java.util.concurrent.BlockingQueue<dev.fastchat.client.ChatMessage> aliceInbox = new java.util.concurrent.LinkedBlockingQueue<>();
            ChatClient aliceClient = ChatClient.builder().server("127.0.0.1", server.port()).keyStoreDirectory(dir.resolve("alice-keys"))
                    .registrationKdf(KdfParams.INSECURE_FOR_TESTS).listener(new dev.fastchat.client.ChatListener() {
                        @Override
                        public void message(dev.fastchat.client.ChatMessage message) {
                            aliceInbox.add(message);
                        }
                    }).build();
            aliceClient.connect().get(30, TimeUnit.SECONDS);
            aliceClient.register(alice, "pw".toCharArray()).get(30, TimeUnit.SECONDS);
            register(server, bob).close();
            tmux.start("bob", 150, 40, List.of("FASTCHAT_PASSWORD=pw", "NO_COLOR=1", "TERM=xterm-256color"), chat(server, bob));
            tmux.waitFor("bob", "logged in as " + bob, "[fastchat]");
            tmux.enter("bob", "/open " + alice);
            tmux.enter("bob", "before the change");
            assertThat(aliceInbox.poll(20, TimeUnit.SECONDS)).extracting(dev.fastchat.client.ChatMessage::text).isEqualTo("before the change");

            aliceClient.keys().replace("pw".toCharArray()).get(30, TimeUnit.SECONDS);
            tmux.waitFor("bob", alice + "'s identity key changed: compare safety numbers (/keys verify " + alice + "), then /keys mark-verified "
                    + alice);
            tmux.enter("bob", "sealed to which key?");
            tmux.waitFor("bob", "(/keys verify " + alice + ") and then accept the new key (/keys accept " + alice + ")");
            assertThat(aliceInbox.poll(1, TimeUnit.SECONDS)).as("nothing was sent to an unaccepted key").isNull();

            tmux.enter("bob", "/keys accept " + alice);
            tmux.waitFor("bob", alice + "'s current key is now trusted");
            tmux.enter("bob", "after the change");
            assertThat(aliceInbox.poll(20, TimeUnit.SECONDS)).as("sealed to the new key, which alice now holds")
                    .extracting(dev.fastchat.client.ChatMessage::text).isEqualTo("after the change");
            assertThat(tmux.screen("bob")).doesNotContain("fastchat keys").doesNotContain("Exception");
            aliceClient.close();
        }
    }
}
