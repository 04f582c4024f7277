package dev.fastchat.storage;

import java.time.Instant;

/** What {@link AccountRepository#create} stores. The id is assigned by the database. */
public record NewAccount(String name, Credential credential, KdfCost kdf, IdentityKeys identity,
                         byte[] keyBackup, Instant createdAt) {}
