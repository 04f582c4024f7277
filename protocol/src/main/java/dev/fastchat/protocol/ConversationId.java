package dev.fastchat.protocol;

import java.util.Optional;

/**
 * The id of a conversation: {@code d:<low>:<high>} for the direct conversation of two accounts (so either
 * side can name it without asking the server) and {@code g:<group id>} for a group.
 *
 * @param value the id as sent on the wire
 * @param group the group id, or 0 for a direct conversation
 * @param low the lower account id of a direct conversation, else 0
 * @param high the higher account id of a direct conversation, else 0
 */
public record ConversationId(String value, long group, long low, long high) {
    /** The longest valid id. */
    public static final int MAX_LENGTH = 48;

    /** The direct conversation of two accounts, in either order. */
    public static ConversationId direct(long a, long b) {
        if (a <= 0 || b <= 0 || a == b) {
            throw new IllegalArgumentException("a direct conversation needs two different account ids");
        }
        long low = Math.min(a, b);
        long high = Math.max(a, b);
        return new ConversationId("d:" + low + ":" + high, 0, low, high);
    }

    /** A group's conversation. */
    public static ConversationId group(long groupId) {
        if (groupId <= 0) {
            throw new IllegalArgumentException("group ids are positive");
        }
        return new ConversationId("g:" + groupId, groupId, 0, 0);
    }

    /** Parses a wire id; empty if it is not one (in canonical form). */
    public static Optional<ConversationId> parse(String value) {
        if (value == null || value.length() > MAX_LENGTH || value.length() < 3 || value.charAt(1) != ':') {
            return Optional.empty();
        }
        try {
            if (value.charAt(0) == 'g') {
                ConversationId id = group(Long.parseLong(value.substring(2)));
                return id.value.equals(value) ? Optional.of(id) : Optional.empty();
            }
            if (value.charAt(0) == 'd') {
                String[] parts = value.substring(2).split(":", -1);
                if (parts.length != 2) {
                    return Optional.empty();
                }
                ConversationId id = direct(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
                return id.value.equals(value) ? Optional.of(id) : Optional.empty();
            }
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    public boolean isDirect() {
        return group == 0;
    }

    /** For a direct conversation: the account that is not {@code me}. */
    public long peerOf(long me) {
        if (isDirect() && (me == low || me == high)) {
            return me == low ? high : low;
        }
        throw new IllegalArgumentException(me + " is not part of " + value);
    }

    /** Whether {@code accountId} is one of the two sides of this direct conversation. */
    public boolean involves(long accountId) {
        return isDirect() && (accountId == low || accountId == high);
    }

    @Override
    public String toString() {
        return value;
    }
}
