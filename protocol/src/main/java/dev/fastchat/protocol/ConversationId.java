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

    /**
     * Parses a wire id; empty if it is not one (in canonical form: ASCII digits without a sign or leading zeros, a direct
     * conversation's lower account id first). Every request that names a conversation parses its id, so this reads the
     * characters in place, without splitting the string or building the id again to compare.
     */
    public static Optional<ConversationId> parse(String value) {
        if (value == null || value.length() > MAX_LENGTH || value.length() < 3 || value.charAt(1) != ':') {
            return Optional.empty();
        }
        if (value.charAt(0) == 'g') {
            long group = canonicalNumber(value, 2, value.length());
            return group > 0 ? Optional.of(new ConversationId(value, group, 0, 0)) : Optional.empty();
        }
        if (value.charAt(0) == 'd') {
            int colon = value.indexOf(':', 2);
            if (colon < 0) {
                return Optional.empty();
            }
            long low = canonicalNumber(value, 2, colon);
            long high = canonicalNumber(value, colon + 1, value.length());
            return low > 0 && high > low ? Optional.of(new ConversationId(value, 0, low, high)) : Optional.empty();
        }
        return Optional.empty();
    }

    /** The positive number {@code value} holds from {@code from} to {@code to}, in canonical decimal, or -1. */
    private static long canonicalNumber(String value, int from, int to) {
        if (from >= to || to - from > 19 || value.charAt(from) == '0') {
            return -1;
        }
        long number = 0;
        for (int i = from; i < to; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            number = number * 10 + (c - '0');
        }
        return number > 0 ? number : -1; // 19 digits above Long.MAX_VALUE wrap below zero (under 2^64, they wrap once)
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
