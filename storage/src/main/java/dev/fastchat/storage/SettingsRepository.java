package dev.fastchat.storage;

import java.util.concurrent.CompletableFuture;

/** Installation-wide named values that every node of a cluster shares. */
public interface SettingsRepository {
    /**
     * Stores {@code value} under {@code name} unless a value is already stored (by this or another node).
     *
     * @return the value stored under {@code name} after the call, once durable
     */
    CompletableFuture<String> putIfAbsent(String name, String value);
}
