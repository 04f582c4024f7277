package dev.fastchat.storage;

import java.time.Instant;

/**
 * A committed message.
 *
 * @param conversationId the conversation's wire id
 * @param seq its place in the conversation, from 1
 * @param senderId the sender's account id
 * @param senderName the sender's name
 * @param clientMsgId the id the sender chose
 * @param sealed the end-to-end encrypted message, opaque here; empty once its sender deleted it
 * @param createdAt when the server stored it
 * @param groupName the group's name, or empty for a direct message
 */
public record StoredMessage(String conversationId, long seq, long senderId, String senderName, String clientMsgId,
                            byte[] sealed, Instant createdAt, String groupName) {

    /** Whether its sender deleted it for everyone: only this tombstone is left, without its sealed bytes. */
    public boolean deleted() {
        return sealed.length == 0;
    }

    /** The bytes of its sealed form (what a page of messages is budgeted by). */
    public long sealedSize() {
        return sealed.length;
    }

    /** The bytes of the sealed forms of {@code messages} together. */
    public static long sealedSize(java.util.Collection<StoredMessage> messages) {
        return messages.stream().mapToLong(StoredMessage::sealedSize).sum();
    }
}
