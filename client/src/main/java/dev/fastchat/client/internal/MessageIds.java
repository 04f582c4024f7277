package dev.fastchat.client.internal;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.NoArgGenerator;

/**
 * Client message ids: UUIDv7 (RFC 9562), time-ordered. The server keeps a unique index on (client message id, sender), and
 * ids that grow with time add to its end, on a page or two per commit, where random ids each touch a page of their own
 * (docs/performance.md, "An index that grows at its end"). The millisecond the id was made is in it, which the server
 * and the recipients also know from the message itself; the rest is random, and ids made in the same millisecond by
 * this process still increase.
 */
final class MessageIds {
    private static final NoArgGenerator IDS = Generators.timeBasedEpochGenerator();

    private MessageIds() {}

    /** A new id. */
    static String next() {
        return IDS.generate().toString();
    }

    /** A new id after {@code prefix}, for messages that are not shown as messages (receipts, notices). */
    static String next(String prefix) {
        return prefix + next();
    }
}
