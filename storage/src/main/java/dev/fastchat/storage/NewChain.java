package dev.fastchat.storage;

import dev.fastchat.protocol.ConversationId;
import java.time.Instant;
import java.util.Map;

/**
 * The announcement of a sender chain to store.
 *
 * @param conversation where the chain is used
 * @param senderId whose chain it is
 * @param chainId the chain's id (16 bytes)
 * @param keys the chain's key sealed to each recipient apart, by account id; the recipients must be exactly the
 *     conversation's members
 * @param createdAt the server's time
 */
public record NewChain(ConversationId conversation, long senderId, byte[] chainId, Map<Long, byte[]> keys, Instant createdAt) {}
