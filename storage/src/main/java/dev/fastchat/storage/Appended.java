package dev.fastchat.storage;

import java.util.List;

/**
 * The result of storing a message.
 *
 * @param message the stored message (for a retry: the one stored the first time)
 * @param duplicate whether this was a retry of a message stored before
 * @param members the conversation's current members, to deliver to
 */
public record Appended(StoredMessage message, boolean duplicate, List<Long> members) {}
