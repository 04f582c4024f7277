package dev.fastchat.storage;

import dev.fastchat.protocol.ConversationId;
import java.time.Instant;
import java.util.Set;

/**
 * The announcement of a sender chain to store.
 *
 * @param conversation where the chain is used
 * @param senderId whose chain it is
 * @param chainId the chain's id (16 bytes)
 * @param sealed the sealed announcement
 * @param recipients the account ids it is sealed to; must be exactly the conversation's members
 * @param createdAt the server's time
 */
public record NewChain(ConversationId conversation, long senderId, byte[] chainId, byte[] sealed, Set<Long> recipients,
                       Instant createdAt) {}
