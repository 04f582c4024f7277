package dev.fastchat.client;

import java.util.List;

/**
 * How far a message this user sent has got, from the receipts its other members sent back (sealed to this user).
 *
 * @param seq the message
 * @param recipients the conversation's other members now
 * @param deliveredTo those whose clients got it (read implies got)
 * @param readBy those who read it (members who turned read receipts off never appear here)
 */
public record MessageStatus(long seq, int recipients, List<String> deliveredTo, List<String> readBy) {
    /** {@code read} when every other member read it, {@code delivered} when every one got it, else {@code sent} (stored). */
    public String state() {
        if (recipients > 0 && readBy.size() >= recipients) {
            return "read";
        }
        return recipients > 0 && deliveredTo.size() >= recipients ? "delivered" : "sent";
    }
}
