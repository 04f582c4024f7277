package dev.fastchat.app;

import static org.assertj.core.api.Assertions.assertThat;

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

/** The {@code fastchat} command run as a real process, with its exit codes and messages. */
class CommandLineTest {
    @TempDir
    static Path dir;
    static TestServer server;

    /** The process's exit code and what it printed. */
    record Run(int exitCode, String out, String err) {}

    @BeforeAll
    static void start() {
        // The command registers with the default (full-cost) KDF parameters, as a user would.
        server = TestServer.start(dir.resolve("data"), Map.of("min-kdf-memory-kib", "19456", "min-kdf-iterations", "2"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static Run fastchat(String password, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().remove("FASTCHAT_PASSWORD");
        if (password != null) {
            builder.environment().put("FASTCHAT_PASSWORD", password);
        }
        builder.environment().put("XDG_CONFIG_HOME", dir.resolve("config").toString());
        Process process = builder.start();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
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
        assertThat(invalid.exitCode()).isEqualTo(ExitCodes.REFUSED);
        assertThat(invalid.err()).contains("is not a valid name");

        Run noPassword = fastchat(null, "login", "--server", address, "--user", "alice");
        assertThat(noPassword.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(noPassword.err()).contains("set FASTCHAT_PASSWORD");

        Run unreachable = fastchat("pw", "login", "--server", "127.0.0.1:1", "--user", "alice");
        assertThat(unreachable.exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(unreachable.err()).contains("connection refused");

        Run missingUser = fastchat("pw", "login", "--server", address);
        assertThat(missingUser.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(missingUser.err()).contains("Missing required option: '--user=NAME'");

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
}
