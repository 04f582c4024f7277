package dev.fastchat.client.internal;

import java.util.concurrent.CompletionException;

/** What futures failed with. */
public final class Failures {
    private Failures() {}

    /** The failure a future was completed with, without the {@link CompletionException} a dependent stage wraps it in. */
    public static Throwable cause(Throwable failure) {
        return failure instanceof CompletionException wrapped && wrapped.getCause() != null ? wrapped.getCause() : failure;
    }
}
