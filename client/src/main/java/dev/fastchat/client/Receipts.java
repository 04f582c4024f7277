package dev.fastchat.client;

import dev.fastchat.client.internal.Messenger;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Delivered and read receipts: the client tells senders when their messages arrived (always) and when the user read
 * them ({@link ChatClient#markRead}, unless turned off), each receipt sealed to the sender alone; and it hears theirs
 * ({@link ChatListener#receipt}). Got from {@link ChatClient#receipts()}; needs a log-in.
 */
public final class Receipts {
    private final Function<Function<Messenger, ?>, CompletableFuture<?>> work;

    Receipts(Function<Function<Messenger, ?>, CompletableFuture<?>> work) {
        this.work = work;
    }

    @SuppressWarnings("unchecked")
    private <T> CompletableFuture<T> run(Function<Messenger, T> operation) {
        return (CompletableFuture<T>) work.apply(operation);
    }

    /**
     * How far message {@code seq}, which this user sent, has got: the receipts the server keeps for it are fetched
     * and checked (each signed by the member it names) first.
     */
    public CompletableFuture<MessageStatus> status(Target conversation, long seq) {
        return run(m -> {
            m.fetchReceipts(m.address(conversation).conversationId());
            return m.status(conversation, seq);
        });
    }

    /** How far message {@code seq} has got, from what this session heard (no request). */
    public CompletableFuture<MessageStatus> known(Target conversation, long seq) {
        return run(m -> m.status(conversation, seq));
    }

    /** Whether to tell others when this user read their messages (on by default; delivered receipts always go). */
    public CompletableFuture<Void> sendReadReceipts(boolean on) {
        return run(m -> {
            m.sendReadReceipts(on);
            return null;
        });
    }
}
