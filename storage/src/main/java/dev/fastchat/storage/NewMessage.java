package dev.fastchat.storage;

import dev.fastchat.protocol.ConversationId;
import java.time.Instant;
import java.util.Set;

/**
 * A message to store.
 *
 * @param conversation where it goes
 * @param senderId who sends it
 * @param clientMsgId the sender's id for it (idempotency key)
 * @param sealed the sealed message
 * @param recipients the account ids it is sealed to; must be exactly the conversation's members (empty for a
 *     message of a sender chain)
 * @param createdAt the server's time
 * @param chainId the sender chain it is sealed in, or null for a message sealed to each recipient: then the chain's
 *     announced recipients must be exactly the conversation's members
 */
public record NewMessage(ConversationId conversation, long senderId, String clientMsgId, byte[] sealed,
                         Set<Long> recipients, Instant createdAt, byte[] chainId) {
    /** A message sealed to each of {@code recipients}. */
    public NewMessage(ConversationId conversation, long senderId, String clientMsgId, byte[] sealed, Set<Long> recipients,
                      Instant createdAt) {
        this(conversation, senderId, clientMsgId, sealed, recipients, createdAt, null);
    }
}
