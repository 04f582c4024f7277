package dev.fastchat.client;

import java.time.Instant;

/**
 * A decrypted, verified message.
 *
 * @param conversationId the conversation's id
 * @param conversation where it was sent: the other user for direct messages, or the group
 * @param seq its place in the conversation
 * @param senderId the sender's account id
 * @param sender the sender's name
 * @param outgoing whether this user sent it (from this or another device)
 * @param text the text (empty for a file)
 * @param sentAt when the sender says they sent it (their clock)
 * @param serverTime when the server stored it
 * @param trust how far the sender's key is trusted
 * @param file the file it shares, or null for a text message
 */
public record ChatMessage(String conversationId, Target conversation, long seq, long senderId, String sender,
                          boolean outgoing, String text, Instant sentAt, Instant serverTime, KeyTrust trust, SharedFile file) {
    /** Whether it shares a file (see {@link #file()}). */
    public boolean hasFile() {
        return file != null;
    }
}
