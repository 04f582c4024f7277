package dev.fastchat.storage;

/**
 * The database could not do what was asked (unreachable, full, read-only, or a bug). Says what was being
 * done. Callers treat it as "try again later": nothing the failed operation wrote was committed.
 */
public class StorageException extends RuntimeException {
    public StorageException(String whatFailed, Throwable cause) {
        super(whatFailed + ": " + (cause == null ? "unknown cause" : cause.getMessage()), cause);
    }
}
