package dev.fastchat.client.internal;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What this session knows of receipts, both ways: who sent which of the messages it opened (to tell them when they
 * were read, each sender up to its own newest), how far it told each sender already, and how far each member told
 * this user that it got and read this user's messages. Thread-safe.
 */
final class ReceiptBook {
    /** Messages of others remembered per conversation for read receipts; older ones are past telling. */
    private static final int REMEMBERED = 2_000;

    /** conversation -> seq -> sender, of messages of others opened here. */
    private final Map<String, TreeMap<Long, Long>> incoming = new HashMap<>();
    /** conversation -> how far read receipts went out. */
    private final Map<String, Long> readSent = new HashMap<>();
    /** conversation -> member -> {delivered up to, read up to}, for this user's messages. */
    private final Map<String, Map<Long, long[]>> heard = new HashMap<>();

    synchronized void opened(String conversationId, long seq, long senderId) {
        TreeMap<Long, Long> seqs = incoming.computeIfAbsent(conversationId, id -> new TreeMap<>());
        seqs.put(seq, senderId);
        while (seqs.size() > REMEMBERED) {
            seqs.pollFirstEntry();
        }
    }

    /**
     * The read receipts due when the user read the conversation up to {@code seq}: per sender of messages opened here
     * after the last one sent, the newest of theirs up to {@code seq}. Counts them as sent.
     */
    synchronized Map<Long, Long> readUpTo(String conversationId, long seq) {
        long from = readSent.getOrDefault(conversationId, 0L);
        if (seq <= from) {
            return Map.of();
        }
        readSent.put(conversationId, seq);
        Map<Long, Long> due = new HashMap<>();
        TreeMap<Long, Long> seqs = incoming.getOrDefault(conversationId, new TreeMap<>());
        seqs.subMap(from, false, seq, true).forEach((at, sender) -> due.merge(sender, at, Math::max));
        return due;
    }

    /** Records a receipt a member sent for this user's messages; returns whether it went further than known. */
    synchronized boolean heard(String conversationId, long memberId, boolean read, long upTo) {
        long[] pointers = heard.computeIfAbsent(conversationId, id -> new HashMap<>()).computeIfAbsent(memberId, id -> new long[2]);
        int at = read ? 1 : 0;
        if (upTo <= pointers[at]) {
            return false;
        }
        pointers[at] = upTo;
        if (read && pointers[0] < upTo) {
            pointers[0] = upTo; // read implies got
        }
        return true;
    }

    /** Members who got, and who read, message {@code seq} of this user's, as far as this session heard. */
    synchronized List<List<Long>> of(String conversationId, long seq) {
        List<Long> delivered = new java.util.ArrayList<>();
        List<Long> read = new java.util.ArrayList<>();
        heard.getOrDefault(conversationId, Map.of()).forEach((member, pointers) -> {
            if (pointers[0] >= seq) {
                delivered.add(member);
            }
            if (pointers[1] >= seq) {
                read.add(member);
            }
        });
        return List.of(delivered, read);
    }
}
