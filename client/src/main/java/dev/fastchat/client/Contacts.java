package dev.fastchat.client;

import dev.fastchat.protocol.Names;
import dev.fastchat.protocol.v1.BlockUser;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.ListBlocked;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Whom the user hears from: blocking a user stops their direct messages and their adding the user to
 * groups (they get {@code BLOCKED}); messages already received stay, and shared groups are left as they are.
 * Got from {@link ChatClient#contacts()}; needs a log-in.
 */
public final class Contacts {
    private final Function<Envelope.Builder, CompletableFuture<Envelope>> request;

    Contacts(Function<Envelope.Builder, CompletableFuture<Envelope>> request) {
        this.request = request;
    }

    /** Blocks {@code username}; blocking twice is not an error. Fails with {@code UNKNOWN_USER} for an unknown name. */
    public CompletableFuture<Void> block(String username) {
        return setBlocked(username, true);
    }

    /** Lets {@code username} send direct messages and add the user to groups again. */
    public CompletableFuture<Void> unblock(String username) {
        return setBlocked(username, false);
    }

    /** The users this user has blocked, in name order. */
    public CompletableFuture<List<String>> blocked() {
        return request.apply(Envelope.newBuilder().setListBlocked(ListBlocked.getDefaultInstance()))
                .thenApply(response -> List.copyOf(response.getBlockedUsers().getUsernamesList()));
    }

    private CompletableFuture<Void> setBlocked(String username, boolean blocked) {
        String name = Names.canonical(username).orElse(null);
        if (name == null) {
            return CompletableFuture.failedFuture(ChatException.local(ErrorCode.INVALID_NAME,
                    "'" + username + "' is not a valid name: " + Names.rule()));
        }
        return request.apply(Envelope.newBuilder().setBlockUser(BlockUser.newBuilder().setUsername(name).setUnblock(!blocked)))
                .thenApply(response -> null);
    }
}
