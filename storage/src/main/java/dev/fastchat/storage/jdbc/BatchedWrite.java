package dev.fastchat.storage.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * A kind of write the {@link GroupCommitWriter} runs many at once: the items of this kind queued next to each other
 * go to one {@link #runAll} call inside the batch transaction, which can serve them with a few statements in all.
 * Like a {@link WriteTask}, it must not commit, roll back or close the connection, and it may run again (when
 * another write of its batch fails, the batch is rolled back and run again without that one).
 *
 * @param <I> one write's input
 * @param <O> one write's result, handed to its caller after commit
 */
@FunctionalInterface
public interface BatchedWrite<I, O> {

    /**
     * Runs the writes, in order.
     *
     * @return one element per item, in the same order: its result, or a {@link Refusal} for an item refused by a
     *     rule (which must then have written nothing); throwing fails every item of the call
     */
    List<Object> runAll(Connection connection, List<I> items) throws SQLException;

    /** An item refused by a rule: its caller's future fails with {@code reason}, and the others go on. */
    record Refusal(RuntimeException reason) {}
}
