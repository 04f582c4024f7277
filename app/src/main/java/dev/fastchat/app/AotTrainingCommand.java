package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import dev.fastchat.server.FastChatServer;
import dev.fastchat.server.config.ConfigLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;

/**
 * The workload the build runs once to record the JDK's ahead-of-time cache (JEP 483/514) that makes every
 * later {@code fastchat} command start faster: a server of its own on a loopback port in a temporary
 * directory, two accounts, then the one-shot commands people run most, through the same command line.
 * Hidden: it is not for users.
 */
@Command(name = "aot-training", hidden = true, description = "Runs the workload the build records the start-up cache from.")
final class AotTrainingCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        Path scratch = Files.createTempDirectory("fastchat-aot");
        try (FastChatServer server = FastChatServer.start(ConfigLoader.load(Map.of(
                "listen", "127.0.0.1:0", "data", scratch.resolve("data").toString())))) {
            String address = server.address().toString();
            String keys = scratch.resolve("keys").toString();
            for (String user : new String[] {"aot-alice", "aot-bob"}) {
                try (ChatClient client = ChatClient.builder().server("127.0.0.1", server.address().port())
                        .keyStoreDirectory(Path.of(keys)).keepSession(true).clientName("fastchat-cli").build()) {
                    client.connect().get(30, TimeUnit.SECONDS);
                    client.register(user, "aot training password".toCharArray()).get(30, TimeUnit.SECONDS);
                }
            }
            String[] as = {"--server", address, "--keys", keys, "--user"};
            run("--help");
            run("send", "--help");
            run(join(new String[] {"send"}, as, new String[] {"aot-alice", "--to", "aot-bob", "hello"}));
            run(join(new String[] {"read"}, as, new String[] {"aot-bob"}));
            run(join(new String[] {"who"}, as, new String[] {"aot-bob"}));
            run(join(new String[] {"send"}, as, new String[] {"aot-bob", "--to", "aot-alice", "hello again"}));
            return ExitCodes.OK;
        } finally {
            try (Stream<Path> files = Files.walk(scratch)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException e) {
                // a temporary directory: left for the system to clean
            }
        }
    }

    private static void run(String... args) {
        int code = Main.run(args);
        if (code != ExitCodes.OK) {
            throw new IllegalStateException("fastchat " + String.join(" ", args) + " exited with " + code);
        }
    }

    private static String[] join(String[]... parts) {
        return Stream.of(parts).flatMap(Stream::of).toArray(String[]::new);
    }
}
