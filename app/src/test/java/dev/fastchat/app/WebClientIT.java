package dev.fastchat.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The web client end to end in a real browser: runs {@code web/e2e/run.mjs} (Playwright driving Debian's Chromium)
 * against the packaged server and command-line client: two browser users and one CLI user sign up, talk in DMs and a
 * group, share an image, check receipts, typing, safety numbers, keyboard use and accessibility (axe-core), and come
 * back by themselves after the server restarts. Its measurements land in {@code target/web-e2e/metrics.json}, its
 * screenshots beside them.
 *
 * <p>Needs Node.js with the web module's packages (the build installs them) and Chromium at {@code /usr/bin/chromium}
 * ({@code .ci/run} installs it); without them the test is skipped, or fails under {@code CI=true}.
 */
class WebClientIT {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));

    @Test
    void twoBrowsersAndTheCliTalkThroughARealServer() throws IOException, InterruptedException {
        Path script = ROOT.resolve("web/e2e/run.mjs");
        Path jar = Path.of("target/fastchat.jar").toAbsolutePath();
        requireThat(Files.isExecutable(CHROMIUM), "Chromium is not at " + CHROMIUM + ": install Debian's chromium (bash .ci/run does)");
        requireThat(Files.isDirectory(ROOT.resolve("web/node_modules/playwright-core")),
                "the web module's npm packages are not installed: build the project with Node.js 20.19+ on the PATH");
        requireThat(Files.isRegularFile(jar), "target/fastchat.jar is missing: run the build's package phase first");

        Path out = Path.of("target/web-e2e").toAbsolutePath();
        List<String> command = new ArrayList<>(List.of("node", script.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.resolve("web").toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().put("FASTCHAT_JAVA", ProcessHandle.current().info().command().orElse("java"));
        builder.environment().put("FASTCHAT_JAR", jar.toString());
        builder.environment().put("CHROMIUM", CHROMIUM.toString());
        builder.environment().put("E2E_OUT", out.toString());
        builder.environment().remove("FASTCHAT_PASSWORD");
        Process process = builder.start();
        StringBuilder output = new StringBuilder();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (var lines = process.inputReader(StandardCharsets.UTF_8)) {
                lines.lines().forEach(line -> {
                    System.out.println(line);
                    synchronized (output) {
                        output.append(line).append('\n');
                    }
                });
            } catch (IOException e) {
                // the process ended
            }
        });
        boolean ended = process.waitFor(5, TimeUnit.MINUTES);
        if (!ended) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        reader.join(5_000);
        assertThat(ended).as("the end-to-end run ends within 5 minutes").isTrue();
        synchronized (output) {
            assertThat(process.exitValue()).as("the end-to-end run (its screenshots are in %s):%n%s", out.resolve("screenshots"), output)
                    .isZero();
            assertThat(output).contains("all steps passed");
        }
        assertThat(out.resolve("metrics.json")).exists();
    }

    private static void requireThat(boolean condition, String reason) {
        if (condition) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException(reason + " (CI=true requires every integration test to run)");
        }
        Assumptions.abort(reason);
    }
}
