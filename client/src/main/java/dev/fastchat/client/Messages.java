package dev.fastchat.client;

import dev.fastchat.client.internal.Messenger;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * What a user does to messages of a conversation beyond sending new ones: replies, edits, reactions and deletion for
 * everyone. Replies, edits and reactions are sealed messages like any other (the server sees a message, not what
 * kind); members fold them into what they show with {@link Timeline}. Got from {@link ChatClient#messages()}; needs a
 * log-in. Each call completes when the server has stored it and fails as {@link ChatClient#send} does.
 */
public final class Messages {
    private final Function<Function<Messenger, ?>, CompletableFuture<?>> work;

    Messages(Function<Function<Messenger, ?>, CompletableFuture<?>> work) {
        this.work = work;
    }

    @SuppressWarnings("unchecked")
    private <T> CompletableFuture<T> run(Function<Messenger, T> operation) {
        return (CompletableFuture<T>) work.apply(operation);
    }

    /** Sends {@code text} as a reply to message {@code seq} of the conversation (shown quoting it). */
    public CompletableFuture<SentMessage> reply(Target conversation, long seq, String text) {
        return run(m -> m.reply(conversation, seq, text));
    }

    /**
     * Replaces the text of message {@code seq}, which this user sent: members show the newest edit, marked as edited.
     * An edit of someone else's message is sent but ignored by every member.
     */
    public CompletableFuture<SentMessage> edit(Target conversation, long seq, String text) {
        return run(m -> m.edit(conversation, seq, text));
    }

    /** Reacts to message {@code seq} with {@code emoji} (one emoji or a short text, up to 32 bytes). */
    public CompletableFuture<SentMessage> react(Target conversation, long seq, String emoji) {
        return run(m -> m.react(conversation, seq, emoji, false));
    }

    /** Takes back this user's reaction {@code emoji} to message {@code seq}. */
    public CompletableFuture<SentMessage> unreact(Target conversation, long seq, String emoji) {
        return run(m -> m.react(conversation, seq, emoji, true));
    }

    /**
     * Tells the members online now that this user is typing in the conversation ({@code false}: stopped). Never
     * stored; receivers show it for a few seconds, so repeat it every few seconds while typing. The server allows a few
     * a second ({@code notice-rate}).
     */
    public CompletableFuture<Void> typing(Target conversation, boolean typing) {
        return run(m -> {
            m.typing(conversation, typing);
            return null;
        });
    }

    /**
     * A message that matches a search, as shown, with the message before it and the one after it (if any).
     *
     * @param match the message that matched (its newest text, after edits)
     * @param before the message shown before it, for context
     * @param after the message shown after it, for context
     */
    public record SearchHit(Timeline.Shown match, java.util.Optional<Timeline.Shown> before, java.util.Optional<Timeline.Shown> after) {}

    /**
     * Searches the newest {@code depth} messages of a conversation for {@code text} (case aside), on this device: the
     * server cannot search what it cannot read, so the history is fetched, opened and searched here, and nothing
     * of it is written to disk. Matches the text as shown (after edits) and the names of shared files; deleted
     * messages never match.
     *
     * @return the matches, oldest first
     */
    public CompletableFuture<List<SearchHit>> search(Target conversation, String text, int depth) {
        if (text.isBlank()) {
            return CompletableFuture.failedFuture(ChatException.local(dev.fastchat.protocol.v1.ErrorCode.BAD_REQUEST, "search for what?"));
        }
        String wanted = text.strip().toLowerCase(java.util.Locale.ROOT);
        return run(m -> {
            Timeline timeline = new Timeline();
            timeline.add(m.scan(conversation, depth));
            List<Timeline.Shown> shown = timeline.shown();
            List<SearchHit> hits = new java.util.ArrayList<>();
            for (int i = 0; i < shown.size(); i++) {
                Timeline.Shown candidate = shown.get(i);
                String haystack = candidate.deleted() ? "" : candidate.message().hasFile() ? candidate.message().file().name() : candidate.text();
                if (haystack.toLowerCase(java.util.Locale.ROOT).contains(wanted)) {
                    hits.add(new SearchHit(candidate, i > 0 ? java.util.Optional.of(shown.get(i - 1)) : java.util.Optional.empty(),
                            i + 1 < shown.size() ? java.util.Optional.of(shown.get(i + 1)) : java.util.Optional.empty()));
                }
            }
            return hits;
        });
    }

    /**
     * Deletes message {@code seq}, which this user sent, for everyone, with this user's edits of it: the server drops
     * them for good and keeps tombstones; every member's sessions are told ({@link ChatListener#deleted}).
     *
     * @return the seqs deleted; fails with {@code NOT_AUTHOR} if the message is someone else's (nothing is deleted)
     */
    public CompletableFuture<List<Long>> delete(Target conversation, long seq) {
        return run(m -> m.delete(conversation, seq));
    }
}
