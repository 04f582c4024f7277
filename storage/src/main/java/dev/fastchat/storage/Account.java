package dev.fastchat.storage;

import java.time.Instant;

/**
 * A stored account.
 *
 * @param id server-assigned id, never reused
 * @param name canonical (case-folded) name
 * @param credential what the server checks a log-in against
 * @param kdf the client-side KDF cost the account's auth key was derived with
 * @param identity current public identity keys
 * @param keyBackup the client's sealed private-key backup (opaque)
 * @param createdAt when the account was created
 */
public record Account(long id, String name, Credential credential, KdfCost kdf, IdentityKeys identity,
                      byte[] keyBackup, Instant createdAt) {}
