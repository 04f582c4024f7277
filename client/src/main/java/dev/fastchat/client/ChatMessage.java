package dev.fastchat.client;

import java.time.Instant;

/**
 * A decrypted, verified message: a text or a file (possibly a reply), or a reaction to or an edit of an earlier
 * message, or the tombstone of a message its sender deleted for everyone. {@link Timeline} folds reactions, edits and
 * deletions into the messages they are about.
 *
 * @param conversationId the conversation's id
 * @param conversation where it was sent: the other user for direct messages, or the group
 * @param seq its place in the conversation
 * @param senderId the sender's account id
 * @param sender the sender's name
 * @param outgoing whether this user sent it (from this or another device)
 * @param text the text; for an edit, the new text; empty for a file, a reaction and a deleted message
 * @param sentAt when the sender says they sent it (their clock); the server's time for a deleted message
 * @param serverTime when the server stored it
 * @param trust how far the sender's key is trusted
 * @param file the file it shares, or null
 * @param replyTo the seq of the message it answers, or 0
 * @param edits the seq of the message whose text it replaces, or 0 (receivers apply it only to the sender's own)
 * @param reaction the reaction it carries, or null
 * @param deleted whether its sender deleted it for everyone (nothing else of it is left)
 */
public record ChatMessage(String conversationId, Target conversation, long seq, long senderId, String sender,
                          boolean outgoing, String text, Instant sentAt, Instant serverTime, KeyTrust trust, SharedFile file,
                          long replyTo, long edits, Reaction reaction, boolean deleted) {

    /** A text or file message that is not a reply. */
    public ChatMessage(String conversationId, Target conversation, long seq, long senderId, String sender, boolean outgoing,
                       String text, Instant sentAt, Instant serverTime, KeyTrust trust, SharedFile file) {
        this(conversationId, conversation, seq, senderId, sender, outgoing, text, sentAt, serverTime, trust, file, 0, 0, null, false);
    }

    /**
     * A reaction of the sender to a message, or its withdrawal.
     *
     * @param seq the message reacted to
     * @param emoji the reaction (one emoji, or a short text)
     * @param removed whether the sender takes it back
     */
    public record Reaction(long seq, String emoji, boolean removed) {}

    /** Whether it shares a file (see {@link #file()}). */
    public boolean hasFile() {
        return file != null;
    }

    /**
     * Whether its text mentions {@code username} as {@code @username}: case aside, not inside a longer name or an
     * address ({@code me@username.org} does not).
     */
    public boolean mentions(String username) {
        return mentions(text, username);
    }

    /** Whether {@code text} mentions {@code username} as {@code @username}. */
    public static boolean mentions(String text, String username) {
        if (username.isEmpty()) {
            return false;
        }
        String lower = text.toLowerCase(java.util.Locale.ROOT);
        String mention = "@" + username.toLowerCase(java.util.Locale.ROOT);
        for (int at = lower.indexOf(mention); at >= 0; at = lower.indexOf(mention, at + 1)) {
            boolean startsWord = at == 0 || !isNameChar(lower.charAt(at - 1)) && lower.charAt(at - 1) != '.';
            int end = at + mention.length();
            // A name may hold '.', '-' and '_': "@bob." ends a sentence, "@bob.smith" is someone else.
            boolean endsWord = end == lower.length() || !isNameChar(lower.charAt(end))
                    && !(lower.charAt(end) != ' ' && end + 1 < lower.length() && Character.isLetterOrDigit(lower.charAt(end + 1))
                    && (lower.charAt(end) == '.' || lower.charAt(end) == '-' || lower.charAt(end) == '_'));
            if (startsWord && endsWord) {
                return true;
            }
        }
        return false;
    }

    private static boolean isNameChar(char c) {
        return Character.isLetterOrDigit(c) || c == '@';
    }

    /** The seq of the message a reaction or an edit is about; 0 for a message of its own (a text, a file, a tombstone). */
    public long about() {
        return reaction != null ? reaction.seq() : edits;
    }
}
