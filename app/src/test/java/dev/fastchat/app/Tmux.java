package dev.fastchat.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * Real terminals for tests: a private tmux server (its own socket, no user configuration) whose windows run
 * programs in pseudo-terminals. Tests type into them and read back what the screen shows, as a person would.
 */
final class Tmux implements AutoCloseable {
    private final String socket = "fastchat-test-" + Long.toHexString(ThreadLocalRandom.current().nextLong());

    /** Starts {@code command} in a new {@code width x height} terminal called {@code name}. */
    void start(String name, int width, int height, List<String> environment, List<String> command) {
        List<String> args = new ArrayList<>(List.of("new-session", "-d", "-s", name, "-x", Integer.toString(width), "-y",
                Integer.toString(height), "env"));
        args.addAll(environment);
        args.addAll(command);
        tmux(args.toArray(String[]::new));
        tmux("set-option", "-t", name, "remain-on-exit", "on"); // keep the last screen of a program that ended
    }

    /** Types {@code text} literally (no key names), without pressing Enter. */
    void type(String name, String text) {
        tmux("send-keys", "-t", name, "-l", text);
    }

    /** Presses keys by tmux name: {@code Enter}, {@code C-c}, {@code C-d}, {@code Tab}. */
    void press(String name, String... keys) {
        List<String> args = new ArrayList<>(List.of("send-keys", "-t", name));
        args.addAll(List.of(keys));
        tmux(args.toArray(String[]::new));
    }

    /** Pastes {@code text} as one bracketed paste (the way a terminal delivers a large paste). */
    void paste(String name, String text, Path scratch) throws IOException {
        java.nio.file.Files.writeString(scratch, text);
        tmux("load-buffer", "-b", "paste", scratch.toString());
        tmux("paste-buffer", "-p", "-d", "-b", "paste", "-t", name);
    }

    /**
     * Pastes {@code text} as keys, without bracketed paste (as a terminal that lacks it, or a paste over a
     * serial line, delivers it).
     */
    void pasteAsKeys(String name, String text, Path scratch) throws IOException {
        java.nio.file.Files.writeString(scratch, text);
        tmux("load-buffer", "-b", "keys", scratch.toString());
        tmux("paste-buffer", "-d", "-b", "keys", "-t", name);
    }

    /** The process id of the program running in the window. */
    long pid(String name) {
        return Long.parseLong(tmux("list-panes", "-t", name, "-F", "#{pane_pid}").strip());
    }

    /** Types a line and presses Enter. */
    void enter(String name, String line) {
        type(name, line);
        press(name, "Enter");
    }

    /** The text the screen shows now (no colours), lines joined with {@code \n}. */
    String screen(String name) {
        return tmux("capture-pane", "-p", "-J", "-t", name, "-S", "-200");
    }

    /** The screen with its colour and style escape sequences. */
    String screenWithEscapes(String name) {
        return tmux("capture-pane", "-p", "-e", "-t", name);
    }

    /** The last non-blank line of the screen (where the prompt and the typed text are). */
    String lastLine(String name) {
        List<String> lines = screen(name).lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "" : lines.getLast().stripTrailing();
    }

    /** Waits (up to 20 s) until the screen contains every one of {@code texts}. */
    void waitFor(String name, String... texts) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(screen(name)).contains(texts));
    }

    /** Waits (up to 20 s) until the last line is the prompt {@code [label]} with nothing typed (statuses after it allowed). */
    void waitForPrompt(String name, String label) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(lastLine(name)).matches(prompt(label)));
    }

    /** The prompt {@code [label]} with nothing typed, and perhaps statuses such as {@code (^3 read)} after it. */
    static String prompt(String label) {
        return java.util.regex.Pattern.quote("[" + label + "]") + "( \\([^)]*\\))*";
    }

    private String tmux(String... args) {
        List<String> command = new ArrayList<>(List.of("tmux", "-L", socket, "-f", "/dev/null"));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("tmux " + String.join(" ", args) + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("tmux is needed for the terminal tests (apt-get install tmux): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Ends every program in these terminals. */
    @Override
    public void close() {
        try {
            tmux("kill-server");
        } catch (IllegalStateException e) {
            // already gone
        }
    }
}
