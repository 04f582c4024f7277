package dev.fastchat.storage;

import dev.fastchat.protocol.ConversationId;
import java.time.Instant;

/** A group chat. */
public record Group(long id, String name, Instant createdAt) {
    public ConversationId conversation() {
        return ConversationId.group(id);
    }
}
