package dev.fastchat.app;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@code fastchat server} in a process of its own, on a free loopback port, as an operator runs it. */
final class NodeProcess implements AutoCloseable {
    private static final Pattern READY = Pattern.compile("ready on (127\\.0\\.0\\.1:(\\d+))");

    final Process process;
    final String address;
    final int port;

    /** Every line the server printed so far (the first 100,000). */
    final java.util.Queue<String> log;

    private NodeProcess(Process process, String address, java.util.Queue<String> log) {
        this.process = process;
        this.address = address;
        this.log = log;
        this.port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    /** A command's exit code and what it printed. */
    record Run(int exitCode, String out, String err) {}

    /**
     * The packaged command, as the launcher runs it: set for the integration tests, which run after the build made
     * the jar (and its ahead-of-time cache); absent in unit tests, which run this JVM's class path.
     */
    private static final Path JAR = Optional.ofNullable(System.getProperty("fastchat.jar")).map(Path::of)
            .filter(Files::isRegularFile).orElse(null);

    /**
     * The java command that runs {@code fastchat ARGS}: the launcher's JVM options for that command (see the
     * {@code fastchat} script), then {@code jvmOptions}, then the packaged jar with its ahead-of-time cache where
     * there is one, or {@link Main} on this JVM's class path.
     */
    static List<String> java(List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED"));
        String name = args.length == 0 ? "" : args[0];
        switch (name) {
            case "server" -> command.addAll(List.of("-XX:+UseCompactObjectHeaders", "-XX:TrimNativeHeapInterval=1000"));
            case "loadgen" -> command.add("-XX:+UseZGC");
            default -> command.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:+UseCompactObjectHeaders"));
        }
        if (JAR != null) {
            Path aot = JAR.resolveSibling("fastchat.aot");
            if (!name.equals("loadgen") && Files.isRegularFile(aot) && aot.toFile().lastModified() > JAR.toFile().lastModified()) {
                command.addAll(List.of("-XX:AOTCache=" + aot, "-Xlog:aot=off", "-Xlog:cds=off"));
            }
            command.addAll(jvmOptions);
            command.addAll(List.of("-jar", JAR.toString()));
        } else {
            command.addAll(jvmOptions);
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        }
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Runs {@code fastchat ARGS} to its end (at most two minutes), reading its output and errors as they
     * come, with {@code FASTCHAT_PASSWORD} set to {@code password} (when not null).
     */
    static Run run(List<String> jvmOptions, String password, String... args) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(java(jvmOptions, args))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().remove("FASTCHAT_PASSWORD");
        if (password != null) {
            builder.environment().put("FASTCHAT_PASSWORD", password);
        }
        Process process = builder.start();
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
            try {
                return process.getErrorStream().readAllBytes();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("fastchat " + String.join(" ", args) + " did not end within two minutes");
        }
        return new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8),
                new String(err.get(), StandardCharsets.UTF_8));
    }

    /** Starts {@code fastchat server ARGS} (add {@code --listen 127.0.0.1:0}) and waits until it listens. */
    static NodeProcess start(List<String> jvmOptions, String... serverArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("server"));
        args.addAll(List.of(serverArgs));
        ProcessBuilder builder = new ProcessBuilder(java(jvmOptions, args.toArray(String[]::new))).redirectErrorStream(true);
        // Tests start many nodes and measure none: no warm-up unless one asks with --set warm-up-messages=N.
        builder.environment().put("FASTCHAT_WARM_UP_MESSAGES", "0");
        Process process = builder.start();
        BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> address = new CompletableFuture<>();
        StringBuilder output = new StringBuilder();
        java.util.Queue<String> log = new java.util.concurrent.ConcurrentLinkedQueue<>();
        Thread.ofVirtual().start(() -> { // reads the output to its end, so the process never blocks on it
            try {
                for (String line; (line = lines.readLine()) != null; ) {
                    if (log.size() < 100_000) {
                        log.add(line);
                    }
                    Matcher matcher = READY.matcher(line);
                    if (matcher.find()) {
                        address.complete(matcher.group(1));
                    } else if (!address.isDone()) {
                        output.append(line).append('\n');
                    }
                }
                address.completeExceptionally(new IllegalStateException("the server ended before it was ready:\n" + output));
            } catch (java.io.IOException e) {
                address.completeExceptionally(e);
            }
        });
        try {
            return new NodeProcess(process, address.get(60, TimeUnit.SECONDS), log);
        } catch (Exception e) {
            process.destroyForcibly();
            throw e;
        }
    }

    /** Ends it at once (SIGKILL): no shutdown hook, no goodbye to clients or the cluster. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Sends it a signal with {@code kill -NAME} ({@code STOP} pauses it, {@code CONT} wakes it). */
    void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
