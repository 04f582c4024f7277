package dev.fastchat.client;

import dev.fastchat.crypto.KdfParams;
import dev.fastchat.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a user with a large unread backlog waits for after logging in: {@code senders} contacts each send
 * {@code perSender} messages while the user is away (one SQLite node, the client library, real encryption); then the
 * user logs in, one contact sends one more, and this prints how long until the user's listener shows it, and until
 * that conversation's backlog is shown too. Bounded by its arguments.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.fastchat.client.LoginBacklog [senders] [perSender]}
 * (defaults 100 and 600: 60,000 unread).
 */
public final class LoginBacklog {
    public static void main(String[] args) throws Exception {
        int senders = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int perSender = args.length > 1 ? Integer.parseInt(args[1]) : 600;
        Path dir = Files.createTempDirectory("fastchat-backlog-bench");
        List<ChatClient> contacts = new ArrayList<>();
        try (TestServer server = TestServer.start(dir.resolve("server"), Map.of("send-rate", "1000000", "send-burst", "1000000"))) {
            try (ChatClient away = client(server, dir, new ChatListener() { })) {
                away.register("reader", "pw".toCharArray()).get(30, TimeUnit.SECONDS);
            }
            for (int i = 0; i < senders; i++) {
                ChatClient contact = client(server, dir, new ChatListener() { });
                contact.register("contact" + i, "pw".toCharArray()).get(30, TimeUnit.SECONDS);
                contacts.add(contact);
            }
            long filling = System.nanoTime();
            List<CompletableFuture<SentMessage>> sends = new ArrayList<>();
            for (int k = 0; k < perSender; k++) {
                for (ChatClient contact : contacts) {
                    sends.add(contact.send(Target.user("reader"), "backlog " + k));
                }
                if (sends.size() >= 2_000) {
                    CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
                    sends.clear();
                }
            }
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
            System.out.printf("%,d unread messages in %d conversations stored in %.1f s%n", senders * perSender, senders,
                    (System.nanoTime() - filling) / 1e9);

            AtomicLong shownAt = new AtomicLong();
            AtomicLong backlogAt = new AtomicLong();
            AtomicInteger seen = new AtomicInteger();
            AtomicInteger before = new AtomicInteger(-1);
            CountDownLatch shown = new CountDownLatch(1);
            CountDownLatch backlog = new CountDownLatch(1);
            ChatListener listener = new ChatListener() {
                @Override
                public void message(ChatMessage message) {
                    int count = seen.incrementAndGet();
                    if (message.text().equals("now")) {
                        shownAt.set(System.nanoTime());
                        before.set(count - 1);
                        shown.countDown();
                    }
                    if (count == perSender + 1) {
                        backlogAt.set(System.nanoTime());
                        backlog.countDown();
                    }
                }
            };
            try (ChatClient reader = client(server, dir, listener)) {
                reader.login("reader", "pw".toCharArray()).get(60, TimeUnit.SECONDS);
                long sent = System.nanoTime();
                contacts.getFirst().send(Target.user("reader"), "now").get(60, TimeUnit.SECONDS);
                boolean arrived = shown.await(5, TimeUnit.MINUTES);
                System.out.printf("new message shown after the log-in: %s (%,d messages shown before it)%n",
                        arrived ? String.format("%.1f ms", (shownAt.get() - sent) / 1e6) : "not within 5 min", before.get());
                if (backlog.await(5, TimeUnit.MINUTES)) {
                    System.out.printf("its conversation's %d unread shown by %.1f ms%n", perSender, (backlogAt.get() - sent) / 1e6);
                }
                Thread.sleep(1_000);
                System.out.printf("messages shown within 1 s after that: %,d (of %,d unread)%n", seen.get(), senders * perSender + 1);
            }
        } finally {
            contacts.forEach(ChatClient::close);
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    private static ChatClient client(TestServer server, Path dir, ChatListener listener) throws Exception {
        ChatClient client = ChatClient.builder().insecurePlaintext(true).server("127.0.0.1", server.port())
                .keyStoreDirectory(dir.resolve("keys")).registrationKdf(KdfParams.INSECURE_FOR_TESTS).listener(listener).build();
        client.connect().get(30, TimeUnit.SECONDS);
        return client;
    }
}
