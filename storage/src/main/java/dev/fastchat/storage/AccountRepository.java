package dev.fastchat.storage;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Accounts and their identity keys. Reads block (call them off event loops); writes are durable when their future completes. */
public interface AccountRepository {

    /**
     * Stores a new account with its identity keys, atomically.
     *
     * @return the stored account, once committed; fails with {@link NameTakenException} if the name is in
     *     use (also when two registrations race for it), or {@link StorageException}
     */
    CompletableFuture<Account> create(NewAccount account);

    /**
     * Stores new identity keys for an account under the next key id, with its new sealed key backup; earlier
     * keys stay on record.
     *
     * @return the stored keys (with their key id), once committed
     */
    CompletableFuture<IdentityKeys> replaceKeys(long accountId, byte[] x25519Public, byte[] ed25519Public, byte[] keyBackup,
                                                java.time.Instant now);

    /**
     * Blocks ({@code blocked} true) or unblocks {@code otherId} for {@code accountId}: a blocked account can
     * neither send direct messages to the account nor add it to groups.
     *
     * @return whether anything changed, once committed
     */
    CompletableFuture<Boolean> setBlocked(long accountId, long otherId, boolean blocked, java.time.Instant now);

    /** The names of the accounts {@code accountId} has blocked, in name order. */
    List<String> blockedBy(long accountId);

    /** The identity keys {@code accountId} had under {@code keyId} (current or replaced). */
    Optional<IdentityKeys> identityKey(long accountId, int keyId);

    /** {@code accountId}'s stored trust state, or {@link TrustState#NONE}. */
    TrustState trustState(long accountId);

    /**
     * Stores {@code state} for {@code accountId} if its version is the stored one + 1 (compare and set).
     *
     * @return whether it was stored, once committed
     */
    CompletableFuture<Boolean> putTrustState(long accountId, TrustState state, java.time.Instant now);

    /** The account with this canonical name. */
    Optional<Account> findByName(String name);

    /** The account with this id. */
    Optional<Account> findById(long id);

    /** The accounts with these ids (unknown ids are left out), in no particular order. */
    List<Account> findByIds(Collection<Long> ids);

    /**
     * Registered users and groups in name order, for discovery.
     *
     * @param after only names after this one ("" for the first page)
     */
    List<DirectoryEntry> directory(String after, int limit);

    /** How many accounts exist. */
    long count();
}
