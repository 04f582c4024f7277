package dev.fastchat.app.loadgen;

import dev.fastchat.client.ChatClient;
import dev.fastchat.client.ChatException;
import dev.fastchat.client.ChatGroup;
import dev.fastchat.client.ConversationUnread;
import dev.fastchat.client.GroupMember;
import dev.fastchat.client.Target;
import dev.fastchat.protocol.v1.ErrorCode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load clients' accounts and group: registered on first use, reused by later runs (load account {@code <prefix>N},
 * password {@code loadgen-<prefix>N}; the group {@code <prefix>g<size>} of the first clients).
 */
final class LoadAccounts {
    private static final int SETUP_CONCURRENCY = 16;

    private final LoadGenerator.Options options;
    private final PrintStream progress;

    LoadAccounts(LoadGenerator.Options options, PrintStream progress) {
        this.options = options;
        this.progress = progress;
    }

    static char[] password(String name) {
        return ("loadgen-" + name).toCharArray();
    }

    /** Logs every client in as the account of the same index in {@code names}, {@value #SETUP_CONCURRENCY} at a time. */
    void logInAll(List<ChatClient> clients, List<String> names) throws Exception {
        Semaphore parallel = new Semaphore(SETUP_CONCURRENCY);
        List<CompletableFuture<?>> logins = new ArrayList<>();
        AtomicLong ready = new AtomicLong();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < clients.size(); i++) {
                ChatClient client = clients.get(i);
                String name = names.get(i);
                logins.add(CompletableFuture.runAsync(() -> {
                    parallel.acquireUninterruptibly();
                    try {
                        logIn(client, name);
                        long done = ready.incrementAndGet();
                        if (done % 100 == 0) {
                            progress.printf("  %d of %d clients logged in%n", done, clients.size());
                        }
                    } finally {
                        parallel.release();
                    }
                }, pool));
            }
            CompletableFuture.allOf(logins.toArray(CompletableFuture[]::new)).get(30, TimeUnit.MINUTES);
        }
    }

    /**
     * Registers the load account, or logs in when it exists from an earlier run: on a new server nothing is
     * tried that fails, so no failed log-in counts against the server's throttles.
     */
    private void logIn(ChatClient client, String name) {
        try {
            client.connect().get(60, TimeUnit.SECONDS);
            try {
                client.register(name, password(name)).get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof ChatException chat) || chat.code() != ErrorCode.ACCOUNT_EXISTS) {
                    throw e;
                }
                client.login(name, password(name)).get(60, TimeUnit.SECONDS); // a load account of an earlier run
                // What earlier runs left unread is read now, as a user would have: the first push of this run in a
                // conversation would otherwise bring its whole backlog along, and time it within this run.
                for (ConversationUnread conversation : client.unread().get(60, TimeUnit.SECONDS).conversations()) {
                    if (conversation.unread() > 0) {
                        client.markRead(conversation.conversationId(), conversation.lastSeq()).get(60, TimeUnit.SECONDS);
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("load client " + name + " could not log in: " + LoadGenerator.unwrap(e).getMessage(), e);
        }
    }

    /** The load group (reused between runs): exactly the first {@code groupSize} clients. */
    Target group(List<ChatClient> clients, List<String> names) throws Exception {
        String name = options.namePrefix() + "g" + options.groupSize();
        ChatClient admin = clients.getFirst();
        ChatGroup group;
        try {
            group = admin.groups().create(name).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof ChatException chat) || chat.code() != ErrorCode.ACCOUNT_EXISTS) {
                throw e;
            }
            group = admin.groups().list().get(60, TimeUnit.SECONDS).stream().filter(g -> g.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("the name " + name + " is taken by someone else"));
        }
        Set<String> members = new HashSet<>();
        for (GroupMember member : admin.groups().members(group.name()).get(60, TimeUnit.SECONDS)) {
            members.add(member.name());
        }
        for (int i = 1; i < options.groupSize(); i++) {
            if (!members.contains(names.get(i))) {
                admin.groups().add(group.name(), names.get(i)).get(60, TimeUnit.SECONDS);
                clients.get(i).invitations().accept(group.name()).get(60, TimeUnit.SECONDS); // the member consents
            }
        }
        return Target.group(group.name());
    }
}
