package dev.fastchat.app;

import dev.fastchat.client.ChatException;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.server.config.ConfigException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Exit codes of every command, and the one-line message for a failure: 0 success, 1 refused by the server,
 * 2 bad usage, configuration or input checked locally (size, name, missing file), 3 server unreachable (or
 * not a FastChat server).
 */
final class ExitCodes {
    static final int OK = 0;
    static final int REFUSED = 1;
    static final int USAGE = 2;
    static final int UNREACHABLE = 3;

    private ExitCodes() {}

    static int of(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof ChatException chat) {
            if (chat.local()) {
                return USAGE;
            }
            return chat.code() == ErrorCode.UNAVAILABLE ? UNREACHABLE : REFUSED;
        }
        if (cause instanceof ConfigException || cause instanceof IllegalArgumentException
                || cause instanceof picocli.CommandLine.ParameterException) {
            return USAGE;
        }
        return REFUSED;
    }

    static String message(Throwable failure) {
        Throwable cause = unwrap(failure);
        return cause.getMessage() == null ? cause.toString() : cause.getMessage();
    }

    static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
