package dev.fastchat.client;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * One conversation as a user sees it: its messages in seq order, with edits, reactions and deletions folded into the
 * messages they are about, as Element and Signal show them. Feed it what {@link ChatClient#history} and
 * {@link ChatListener#message} report, in any order and more than once; and what {@link ChatListener#deleted} reports.
 *
 * <p>Rules, which every member applies alike: an edit counts only from the sender of the message it edits, and the
 * newest edit (by seq) wins; reactions are toggles, so each member's latest reaction with an emoji (by seq) decides
 * whether it stands; a deleted message keeps its place, without content, edits or reactions. Not thread-safe.
 */
public final class Timeline {
    /**
     * A message as shown.
     *
     * @param message the message itself (its original text)
     * @param text the text to show: the newest edit's, or the original
     * @param edited whether an edit applies
     * @param editSeqs the seqs of the edits of it seen (its sender's)
     * @param deleted whether its sender deleted it for everyone
     * @param reactions per emoji, in the order first seen, the names of the members whose reaction stands
     * @param repliedTo the message it answers, if it is a reply and that message is known here
     */
    public record Shown(ChatMessage message, String text, boolean edited, List<Long> editSeqs, boolean deleted,
                        Map<String, List<String>> reactions, Optional<ChatMessage> repliedTo) {}

    private final Map<Long, ChatMessage> bySeq = new TreeMap<>();
    private final Set<Long> deleted = new java.util.HashSet<>();
    /** Per message, the reactions and edits about it, by seq. */
    private final Map<Long, TreeMap<Long, ChatMessage>> about = new java.util.HashMap<>();

    /** Takes in messages (any kind, any order; repeats are ignored). */
    public void add(Collection<ChatMessage> messages) {
        messages.forEach(this::add);
    }

    /** Takes in one message. */
    public void add(ChatMessage message) {
        bySeq.putIfAbsent(message.seq(), message);
        if (message.about() != 0) {
            about.computeIfAbsent(message.about(), seq -> new TreeMap<>()).putIfAbsent(message.seq(), message);
        }
        if (message.deleted()) {
            deleted.add(message.seq()); // a reaction or an edit known here stays one, deleted; a message shows as deleted
        }
    }

    /** Takes in a deletion pushed by the server (the sender's own messages only, as the server allows). */
    public void deleted(long senderId, Collection<Long> seqs) {
        for (long seq : seqs) {
            ChatMessage known = bySeq.get(seq);
            if (known == null || known.senderId() == senderId) {
                deleted.add(seq);
            }
        }
    }

    /** The messages to show, in seq order, with what is about them folded in. */
    public List<Shown> shown() {
        List<Shown> shown = new ArrayList<>();
        for (ChatMessage message : bySeq.values()) {
            if (message.about() == 0) {
                shown.add(fold(message));
            }
        }
        return shown;
    }

    /** Whether {@code message} is a reaction or an edit about a message shown here: folded into it, not shown on its own. */
    public boolean folded(ChatMessage message) {
        return message.about() != 0 && shown(message.about()).isPresent();
    }

    /** Message {@code seq} as shown, if it is known here and is a message of its own (not a reaction or an edit). */
    public Optional<Shown> shown(long seq) {
        ChatMessage message = bySeq.get(seq);
        return message == null || message.about() != 0 ? Optional.empty() : Optional.of(fold(message));
    }

    private Shown fold(ChatMessage message) {
        long seq = message.seq();
        Optional<ChatMessage> repliedTo = message.replyTo() == 0 ? Optional.empty()
                : Optional.ofNullable(bySeq.get(message.replyTo())).filter(m -> m.about() == 0);
        if (deleted.contains(seq) || message.deleted()) {
            return new Shown(message, "", false, List.of(), true, Map.of(), repliedTo);
        }
        String text = message.text();
        List<Long> edits = new ArrayList<>();
        Map<String, Map<String, Boolean>> reacting = new LinkedHashMap<>(); // emoji -> member -> stands
        for (ChatMessage other : about.getOrDefault(seq, new TreeMap<>()).values()) {
            if (other.seq() <= seq || deleted.contains(other.seq())) {
                continue;
            }
            if (other.edits() == seq && other.senderId() == message.senderId()) {
                edits.add(other.seq());
                text = other.text(); // in seq order: the newest edit is the last
            } else if (other.reaction() != null) {
                reacting.computeIfAbsent(other.reaction().emoji(), e -> new LinkedHashMap<>())
                        .put(other.sender(), !other.reaction().removed());
            }
        }
        Map<String, List<String>> reactions = new LinkedHashMap<>();
        reacting.forEach((emoji, members) -> {
            Set<String> standing = new LinkedHashSet<>();
            members.forEach((member, stands) -> {
                if (stands) {
                    standing.add(member);
                }
            });
            if (!standing.isEmpty()) {
                reactions.put(emoji, List.copyOf(standing));
            }
        });
        return new Shown(message, text, !edits.isEmpty(), List.copyOf(edits), false, reactions, repliedTo);
    }
}
