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
 * @param recipients the account ids it is sealed to; must be exactly the conversation's members
 * @param createdAt the server's time
 */
public record NewMessage(ConversationId conversation, long senderId, String clientMsgId, byte[] sealed,
                         Set<Long> recipients, Instant createdAt) {}
