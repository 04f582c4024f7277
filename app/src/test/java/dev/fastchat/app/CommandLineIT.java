package dev.fastchat.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.app.NodeProcess.Run;
import dev.fastchat.server.testing.TestServer;
import dev.fastchat.server.testing.WireClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged {@code fastchat} command run as a real process, as the launcher runs it, with its exit codes and messages. */
class CommandLineIT {
    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        // The command registers with the default (full-cost) KDF parameters, as a user would.
        // The defaults, as users run it: TLS with the server's own certificate, pinned by the commands on first use.
        server = TestServer.start(dir.resolve("data"), Map.of("min-kdf-memory-kib", "19456", "min-kdf-iterations", "2",
                "insecure-plaintext", "false"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A new account, registered with {@code fastchat register} on the test's server; its name. */
    private static String registered(String prefix, String password) throws IOException, InterruptedException {
        String name = WireClient.uniqueName(prefix);
        assertThat(fastchat(password, "register", "--server", server.address().toString(), "--user", name).exitCode())
                .isEqualTo(ExitCodes.OK);
        return name;
    }

    static Run fastchat(String password, String... args) throws IOException, InterruptedException {
        return fastchat(password, Map.of(), args);
    }

    static Run fastchat(String password, Map<String, String> environment, String... args) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(NodeProcess.java(List.of(), args)).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().remove("FASTCHAT_PASSWORD");
        if (password != null) {
            builder.environment().put("FASTCHAT_PASSWORD", password);
        }
        if (dir != null) {
            builder.environment().put("XDG_CONFIG_HOME", dir.resolve("config").toString());
        }
        builder.environment().putAll(environment);
        Process process = builder.start();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void theFirstConnectionShowsTheServersCertificateAndAnotherOneLaterIsRefusedLoudly() throws Exception {
        String name = WireClient.uniqueName("tofu");
        String address = server.address().toString();
        String keys = dir.resolve("tofu-keys").toString();
        String fingerprint;
        try (var in = java.nio.file.Files.newInputStream(dir.resolve("data").resolve("tls").resolve("server.crt"))) {
            fingerprint = dev.fastchat.protocol.CertificateFingerprint.of(
                    java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in).getEncoded());
        }
        Run register = fastchat("s3cret pass", "register", "--server", address, "--user", name, "--keys", keys);
        assertThat(register.exitCode()).as(register.err()).isZero();
        assertThat(register.err()).contains("First connection to this server: pinned its TLS certificate " + fingerprint);
        Run send = fastchat(null, "who", "--server", address, "--user", name, "--keys", keys);
        assertThat(send.exitCode()).as(send.err()).isZero();
        assertThat(send.err()).doesNotContain("First connection");

        // What a network attacker's certificate looks like to the client: not the pinned one.
        Path pins = Path.of(keys).resolve("known_servers");
        java.nio.file.Files.writeString(pins, address + " SHA256:" + "A".repeat(43) + "\n");
        Run intercepted = fastchat("s3cret pass", "login", "--server", address, "--user", name, "--keys", keys);
        assertThat(intercepted.exitCode()).isEqualTo(ExitCodes.REFUSED);
        assertThat(intercepted.err()).contains("WARNING", "another TLS certificate", fingerprint, pins.toString())
                .doesNotContain("Exception");
    }

    @Test
    void registerThenLoginSucceedWithExitCodeZero() throws Exception {
        String name = WireClient.uniqueName("cli");
        String address = server.address().toString();
        Run register = fastchat("s3cret pass", "register", "--server", address, "--user", name);
        assertThat(register.exitCode()).as(register.err()).isZero();
        assertThat(register.out()).contains("registered " + name);
        Run login = fastchat("s3cret pass", "login", "--server", address, "--user", name.toUpperCase(java.util.Locale.ROOT));
        assertThat(login.exitCode()).as(login.err()).isZero();
        assertThat(login.out()).contains("logged in as " + name);

        Run wrong = fastchat("not it", "login", "--server", address, "--user", name);
        assertThat(wrong.exitCode()).isEqualTo(ExitCodes.REFUSED);
        assertThat(wrong.err()).contains("wrong user name or password").doesNotContain("Exception");
    }

    @Test
    void failuresHaveClearMessagesAndTheirExitCodes() throws Exception {
        String address = server.address().toString();
        Run invalid = fastchat("pw", "register", "--server", address, "--user", "no spaces");
        assertThat(invalid.exitCode()).as("checked locally").isEqualTo(ExitCodes.USAGE);
        assertThat(invalid.err()).contains("is not a valid name");

        Run noPassword = fastchat(null, "login", "--server", address, "--user", "alice");
        assertThat(noPassword.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(noPassword.err()).contains("set FASTCHAT_PASSWORD");

        Run unreachable = fastchat("pw", "login", "--server", "127.0.0.1:1", "--user", "alice");
        assertThat(unreachable.exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(unreachable.err()).contains("connection refused");

        Run missingUser = fastchat("pw", "login", "--server", address);
        assertThat(missingUser.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(missingUser.err()).contains("give --user NAME, set FASTCHAT_USER, or put user=NAME in");

        Run badConfig = fastchat(null, "server", "--listen", "nowhere", "--max-frame-bytes", "3");
        assertThat(badConfig.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(badConfig.err()).contains("listen: 'nowhere' has no port").contains("max-frame-bytes");
    }

    @Test
    void everyCommandHasHelp() throws Exception {
        for (String command : List.of("server", "register", "login")) {
            Run help = fastchat(null, command, "--help");
            assertThat(help.exitCode()).isZero();
            assertThat(help.out()).contains("Usage: fastchat " + command);
        }
        Run top = fastchat(null, "--help");
        assertThat(top.out()).contains("server").contains("register").contains("login").contains("Exit codes");
        assertThat(fastchat(null, "server", "--help").out()).contains("FASTCHAT_MAX_FRAME_BYTES");
    }

    @Test
    void exitCodesSayWhoRefused() throws Exception {
        String address = server.address().toString();
        String alice = registered("codes", "pw-a");
        String bob = registered("codes", "pw-b");

        Run sent = fastchat(null, "send", "--server", address, "--user", alice, "--to", bob, "hello");
        assertThat(sent.exitCode()).as(sent.err()).isEqualTo(ExitCodes.OK);
        Run unknown = fastchat(null, "send", "--server", address, "--user", alice, "--to", "nobody-" + bob, "hello");
        assertThat(unknown.exitCode()).as("refused by the server").isEqualTo(ExitCodes.REFUSED);
        Run blank = fastchat(null, "send", "--server", address, "--user", alice, "--to", bob, "   ");
        assertThat(blank.exitCode()).as("checked locally").isEqualTo(ExitCodes.USAGE);
        assertThat(blank.err()).contains("the message is empty");
        Run tooLong = fastchat(null, "send", "--server", address, "--user", alice, "--to", bob, "x".repeat(65 * 1024));
        assertThat(tooLong.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(tooLong.err()).contains("over the limit");
        Run badName = fastchat(null, "send", "--server", address, "--user", alice, "--to", "Not A Name", "hi");
        assertThat(badName.exitCode()).isEqualTo(ExitCodes.USAGE);
        Run missingFile = fastchat(null, "send-file", "--server", address, "--user", alice, "--to", bob, dir.resolve("nope").toString());
        assertThat(missingFile.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(missingFile.err()).contains("is not a readable file");
        Run unknownOption = fastchat(null, "send", "--frobnicate");
        assertThat(unknownOption.exitCode()).isEqualTo(ExitCodes.USAGE);
        Run unreachable = fastchat(null, "send", "--server", "127.0.0.1:1", "--user", alice, "--to", bob, "hi");
        assertThat(unreachable.exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
    }

    @Test
    void repliesEditsReactionsAndDeletionFromTheCommandLine() throws Exception {
        String address = server.address().toString();
        String alice = registered("rel", "pw-a");
        String bob = registered("rel", "pw-b");
        assertThat(fastchat(null, "send", "--server", address, "--user", alice, "--to", bob, "helo").out()).contains("(seq 1)");
        assertThat(fastchat(null, "send", "--server", address, "--user", bob, "--to", alice, "--reply-to", "1", "hi").out())
                .contains("(seq 2)");
        assertThat(fastchat(null, "send", "--server", address, "--user", alice, "--to", bob, "--edit", "1", "hello").exitCode())
                .isEqualTo(ExitCodes.OK);
        Run reacted = fastchat(null, "react", "--server", address, "--user", bob, "--to", alice, "1", "👍");
        assertThat(reacted.out()).as(reacted.err()).contains("reacted 👍 on #1");

        Run read = fastchat(null, "read", "--server", address, "--user", bob, "--with", alice, "--json");
        assertThat(read.out().lines().toList()).as(read.err()).hasSize(2);
        assertThat(read.out().lines().findFirst().orElseThrow()).contains("\"seq\":1").contains("\"text\":\"hello\"")
                .contains("\"edited\":true").contains("\"reactions\":{\"👍\":[\"" + bob + "\"]}");
        assertThat(read.out().lines().toList().get(1)).contains("\"reply_to\":1").contains("\"text\":\"hi\"");

        Run mine = fastchat(null, "read", "--server", address, "--user", alice, "--with", bob, "--json", "--keep-unread");
        assertThat(mine.out().lines().findFirst().orElseThrow()).as("bob read it: %s", mine.out())
                .contains("\"status\":\"read\"").contains("\"read_by\":[\"" + bob + "\"]");

        Run refused = fastchat(null, "delete", "--server", address, "--user", bob, "--to", alice, "1");
        assertThat(refused.exitCode()).isEqualTo(ExitCodes.REFUSED);
        assertThat(refused.err()).contains("not one you sent");
        assertThat(fastchat(null, "delete", "--server", address, "--user", alice, "--to", bob, "1").out())
                .contains("deleted #1").contains("with your 1 edit of it");
        Run found = fastchat(null, "read", "--server", address, "--user", bob, "--with", alice, "--search", "HI");
        assertThat(found.out()).as(found.err()).contains("> ").contains("hi").contains("1 message found");

        assertThat(fastchat(null, "send", "--server", address, "--user", bob, "--to", alice, "look @" + alice + ", a mention").exitCode())
                .isEqualTo(ExitCodes.OK);
        Run unread = fastchat(null, "read", "--server", address, "--user", alice);
        assertThat(unread.out()).as(unread.err()).containsPattern("Direct messages: [0-9]+ unread, 1 mentioning you").contains("a mention  [mentions you]");

        String after = fastchat(null, "read", "--server", address, "--user", bob, "--with", alice).out();
        assertThat(after).contains("#1  " + alice + ": [deleted]").contains("(reply to #1) hi").doesNotContain("hello").doesNotContain("helo");
    }

    @Test
    void somethingThatIsNotAFastChatServerIsNamedAsSuchWithinFiveSeconds() throws Exception {
        // One peer answers in another protocol and hangs up (as PostgreSQL does), one reads and never answers
        // (as Redis does with a line it has not finished).
        try (java.net.ServerSocket talker = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (java.net.Socket peer = talker.accept()) {
                    peer.getInputStream().read(new byte[64]);
                    peer.getOutputStream().write("EFATAL: unsupported frontend protocol\0".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // the test sees it
                }
            });
            java.util.List<java.net.Socket> held = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread.ofVirtual().start(() -> {
                try {
                    held.add(silent.accept());
                } catch (IOException e) {
                    // closed at the end
                }
            });
            for (java.net.ServerSocket other : List.of(talker, silent)) {
                String address = "127.0.0.1:" + other.getLocalPort();
                long start = System.nanoTime();
                Run run = fastchat("pw", "login", "--server", address, "--user", "alice");
                double seconds = (System.nanoTime() - start) / 1e9;
                assertThat(run.exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
                assertThat(run.err()).contains(address + " does not speak the FastChat protocol")
                        .doesNotContain("Exception").doesNotContain("frame length").doesNotContain("0x");
                assertThat(seconds).as("answered in %.1f s", seconds).isLessThan(12); // 5 s, plus a JVM start on a busy machine
            }
            for (java.net.Socket socket : held) {
                socket.close();
            }
        }
    }

    @Test
    void oneShotCommandsReuseTheDevicesSessionUntilLogout() throws Exception {
        String address = server.address().toString();
        String alice = WireClient.uniqueName("kept");
        String bob = WireClient.uniqueName("kept");
        Map<String, String> aliceLaptop = Map.of("XDG_CONFIG_HOME", dir.resolve("alice-laptop").toString());
        Map<String, String> alicePhone = Map.of("XDG_CONFIG_HOME", dir.resolve("alice-phone").toString());
        assertThat(fastchat("pw-b", "register", "--server", address, "--user", bob).exitCode()).isZero();
        assertThat(fastchat("pw-a", aliceLaptop, "register", "--server", address, "--user", alice).exitCode()).isZero();
        Path kept = dir.resolve("alice-laptop/fastchat/keys");
        try (var files = java.nio.file.Files.walk(kept)) {
            Path session = files.filter(p -> p.getFileName().toString().equals(alice + ".session")).findFirst().orElseThrow();
            assertThat(java.nio.file.Files.getPosixFilePermissions(session))
                    .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        }

        // No password needed: the kept session is used, and no new session is made on the server.
        int sessionsBefore = sessionCount(alice);
        for (int i = 0; i < 3; i++) {
            Run sent = fastchat(null, aliceLaptop, "send", "--server", address, "--user", alice, "--to", bob, "hi " + i);
            assertThat(sent.exitCode()).as(sent.err()).isZero();
        }
        assertThat(sessionCount(alice)).isEqualTo(sessionsBefore);
        assertThat(fastchat("pw-a", alicePhone, "login", "--server", address, "--user", alice).exitCode()).isZero();
        assertThat(sessionCount(alice)).isEqualTo(sessionsBefore + 1);
        assertThat(fastchat("pw-a", alicePhone, "login", "--server", address, "--user", alice).exitCode())
                .as("a second log-in on the phone replaces its session").isZero();
        assertThat(sessionCount(alice)).isEqualTo(sessionsBefore + 1);

        Run out = fastchat(null, aliceLaptop, "logout", "--server", address, "--user", alice);
        assertThat(out.exitCode()).as(out.err()).isZero();
        assertThat(out.out()).contains("logged out");
        assertThat(sessionCount(alice)).isEqualTo(sessionsBefore);
        Run afterLogout = fastchat(null, aliceLaptop, "send", "--server", address, "--user", alice, "--to", bob, "again");
        assertThat(afterLogout.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(afterLogout.err()).contains("no password");

        Run everywhere = fastchat(null, alicePhone, "logout", "--all", "--server", address, "--user", alice);
        assertThat(everywhere.exitCode()).as(everywhere.err()).isZero();
        assertThat(sessionCount(alice)).isZero();
    }

    @Test
    void theClientConfigFileAndEnvironmentSpareTheOptionsAndFlagsWin() throws Exception {
        String address = server.address().toString();
        String alice = WireClient.uniqueName("conf");
        String bob = WireClient.uniqueName("conf");
        Path home = dir.resolve("conf-home");
        java.nio.file.Files.createDirectories(home.resolve("fastchat"));
        java.nio.file.Files.writeString(home.resolve("fastchat/client.properties"), "server=127.0.0.1:1," + address + "\nuser=" + alice + "\n");
        Map<String, String> environment = Map.of("XDG_CONFIG_HOME", home.toString());
        assertThat(fastchat("pw-b", "register", "--server", address, "--user", bob).exitCode()).isZero();
        Run registered = fastchat("pw-a", environment, "register");
        assertThat(registered.exitCode()).as(registered.err()).isZero();
        assertThat(registered.out()).contains("registered " + alice);
        Run sent = fastchat(null, environment, "send", "--to", bob, "from the config");
        assertThat(sent.exitCode()).as(sent.err()).isZero();

        Map<String, String> unreachable = new java.util.HashMap<>(environment);
        unreachable.put("FASTCHAT_SERVER", "127.0.0.1:1");
        assertThat(fastchat(null, unreachable, "send", "--to", bob, "env wins over the file").exitCode())
                .isEqualTo(ExitCodes.UNREACHABLE);
        Run flag = fastchat(null, unreachable, "send", "--server", address, "--to", bob, "the flag wins over env");
        assertThat(flag.exitCode()).as(flag.err()).isZero();

        java.nio.file.Files.writeString(home.resolve("fastchat/client.properties"), "sever=" + address + "\n");
        Run typo = fastchat(null, environment, "send", "--user", alice, "--to", bob, "x");
        assertThat(typo.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(typo.err()).contains("unknown key 'sever'");
    }

    @Test
    void helpTextsAreCompleteAndDescribeEveryArgument() throws Exception {
        java.util.Deque<picocli.CommandLine> todo = new java.util.ArrayDeque<>(List.of(Main.commandLine()));
        int checked = 0;
        while (!todo.isEmpty()) {
            picocli.CommandLine command = todo.pop();
            todo.addAll(command.getSubcommands().values());
            picocli.CommandLine.Model.CommandSpec spec = command.getCommandSpec();
            String name = spec.qualifiedName();
            if (spec.usageMessage().hidden() || name.endsWith(" help")) {
                continue;
            }
            List<String> texts = new ArrayList<>(List.of(spec.usageMessage().header()));
            texts.addAll(List.of(spec.usageMessage().description()));
            assertThat(texts).as("%s says what it does", name).isNotEmpty();
            for (String text : texts) {
                // Each element is printed on lines of its own: one that stops mid-sentence is cut in the help.
                assertThat(text.strip()).as("a sentence cut in the help of %s", name).matches("(?s).*[.:!)]$");
            }
            assertThat(texts).as("a line printed twice in the help of %s", name).doesNotHaveDuplicates();
            if (texts.size() > 1) {
                String header = texts.getFirst().strip();
                assertThat(texts.get(1)).as("the description of %s repeats its header", name).doesNotStartWith(header);
            }
            for (picocli.CommandLine.Model.PositionalParamSpec positional : spec.positionalParameters()) {
                assertThat(String.join(" ", positional.description())).as("%s %s has a description", name, positional.paramLabel())
                        .isNotBlank();
            }
            for (picocli.CommandLine.Model.OptionSpec option : spec.options()) {
                assertThat(String.join(" ", option.description())).as("%s %s has a description", name, option.longestName())
                        .isNotBlank();
            }
            checked++;
        }
        assertThat(checked).isGreaterThan(20);
        Run keys = fastchat(null, "keys", "--help");
        assertThat(keys.out()).containsPattern("verify +Prints the safety number of you and USER\\.")
                .containsPattern("mark-verified +Records that you compared USER's safety number");
    }

    @Test
    void sessionsListsTheDevicesAndEndsOne() throws Exception {
        String address = server.address().toString();
        String alice = WireClient.uniqueName("list");
        Map<String, String> laptop = Map.of("XDG_CONFIG_HOME", dir.resolve("list-laptop").toString());
        Map<String, String> phone = Map.of("XDG_CONFIG_HOME", dir.resolve("list-phone").toString());
        assertThat(fastchat("pw-a", laptop, "register", "--server", address, "--user", alice).exitCode()).isZero();
        assertThat(fastchat("pw-a", phone, "login", "--server", address, "--user", alice).exitCode()).isZero();

        Run listed = fastchat(null, laptop, "sessions", "--server", address, "--user", alice);
        assertThat(listed.exitCode()).as(listed.err()).isZero();
        List<String> lines = listed.out().lines().toList();
        assertThat(lines).hasSize(2).allMatch(line -> line.matches("[0-9a-f]{16}  fastchat-cli +since .* from .*127\\.0\\.0\\.1.*"));
        assertThat(lines).filteredOn(line -> line.endsWith("(this device)")).hasSize(1);
        String phoneId = lines.stream().filter(line -> !line.endsWith("(this device)")).findFirst().orElseThrow().substring(0, 16);

        Run ended = fastchat(null, laptop, "sessions", "--server", address, "--user", alice, "--end", phoneId);
        assertThat(ended.exitCode()).as(ended.err()).isZero();
        Run phoneAfter = fastchat(null, phone, "who", "--server", address, "--user", alice);
        assertThat(phoneAfter.exitCode()).as("the phone must log in again").isEqualTo(ExitCodes.USAGE);
        assertThat(phoneAfter.err()).contains("no password");
        assertThat(fastchat(null, laptop, "sessions", "--server", address, "--user", alice).out().lines()).hasSize(1);
    }

    @Test
    void blockStopsAUsersDirectMessagesUntilUnblock() throws Exception {
        String address = server.address().toString();
        String alice = WireClient.uniqueName("blk-a");
        String mallory = WireClient.uniqueName("blk-m");
        Map<String, String> aliceHome = Map.of("XDG_CONFIG_HOME", dir.resolve("block-alice").toString());
        Map<String, String> malloryHome = Map.of("XDG_CONFIG_HOME", dir.resolve("block-mallory").toString());
        assertThat(fastchat("pw-a", aliceHome, "register", "--server", address, "--user", alice).exitCode()).isZero();
        assertThat(fastchat("pw-m", malloryHome, "register", "--server", address, "--user", mallory).exitCode()).isZero();

        assertThat(fastchat(null, aliceHome, "block", "--server", address, "--user", alice).out()).isEqualTo("you have blocked nobody\n");
        Run blocked = fastchat(null, aliceHome, "block", "--server", address, "--user", alice, mallory);
        assertThat(blocked.exitCode()).as(blocked.err()).isZero();
        assertThat(blocked.out()).isEqualTo("blocked " + mallory + "\n");
        assertThat(fastchat(null, aliceHome, "block", "--server", address, "--user", alice).out()).isEqualTo(mallory + "\n");

        Run refused = fastchat(null, malloryHome, "send", "--server", address, "--user", mallory, "--to", alice, "hello?");
        assertThat(refused.exitCode()).isEqualTo(ExitCodes.REFUSED);
        assertThat(refused.err()).contains("does not accept messages from you");

        assertThat(fastchat(null, aliceHome, "unblock", "--server", address, "--user", alice, mallory).out())
                .isEqualTo("unblocked " + mallory + "\n");
        Run sent = fastchat(null, malloryHome, "send", "--server", address, "--user", mallory, "--to", alice, "sorry");
        assertThat(sent.exitCode()).as(sent.err()).isZero();

        // alice compares safety numbers with mallory and records it: read marks mallory's messages as verified.
        Run verify = fastchat(null, aliceHome, "keys", "verify", "--server", address, "--user", alice, mallory);
        assertThat(verify.out()).contains("Safety number of " + alice + " and " + mallory, "mark-verified");
        Run marked = fastchat(null, aliceHome, "keys", "mark-verified", "--server", address, "--user", alice, mallory);
        assertThat(marked.exitCode()).as(marked.err()).isZero();
        assertThat(marked.out()).startsWith(mallory + " is verified (safety number ");
        assertThat(fastchat(null, aliceHome, "read", "--server", address, "--user", alice, "--with", mallory).out())
                .contains(mallory + " (verified): sorry");
        assertThat(fastchat(null, aliceHome, "keys", "verify", "--server", address, "--user", alice, mallory).out())
                .contains("Verified: the key matches the one you compared");
    }

    /** Sessions of the account on the server, from its database. */
    private static int sessionCount(String user) throws Exception {
        try (java.sql.Connection db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("data").resolve("fastchat.db"));
             var statement = db.prepareStatement("SELECT count(*) FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE a.name = ?")) {
            statement.setString(1, user);
            try (var rows = statement.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }
}
