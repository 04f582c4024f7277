package dev.fastchat.storage.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * One write, run by the {@link GroupCommitWriter} inside a batch transaction. It must not commit, roll
 * back or close the connection, and it may run more than once (when another write of its batch fails,
 * the batch is rolled back and run again without it), so it must depend only on the database state.
 *
 * @param <T> its result, handed to the caller after commit
 */
@FunctionalInterface
public interface WriteTask<T> {
    T run(Connection connection) throws SQLException;
}
