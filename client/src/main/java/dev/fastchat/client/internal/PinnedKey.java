package dev.fastchat.client.internal;

import dev.fastchat.crypto.PublicIdentity;
import java.util.Base64;
import java.util.Optional;

/**
 * A contact's identity as pinned: name, account id and keys bound together; whether the user compared
 * safety numbers ({@code verified}); and when the pin last changed (a merge keeps the newer pin).
 */
public record PinnedKey(long accountId, String name, int keyId, PublicIdentity identity, boolean verified, long changedAtMs) {
    String format() {
        return name + "," + keyId + "," + Base64.getEncoder().encodeToString(identity.x25519()) + ","
                + Base64.getEncoder().encodeToString(identity.ed25519()) + "," + (verified ? "verified" : "pinned") + "," + changedAtMs;
    }

    static Optional<PinnedKey> parse(long accountId, String value) {
        String[] parts = value.split(",");
        try {
            boolean verified = parts.length > 4 && parts[4].equals("verified");
            long changedAt = parts.length > 5 ? Long.parseLong(parts[5]) : 0;
            return Optional.of(new PinnedKey(accountId, parts[0], Integer.parseInt(parts[1]),
                    new PublicIdentity(Base64.getDecoder().decode(parts[2]), Base64.getDecoder().decode(parts[3])), verified, changedAt));
        } catch (RuntimeException e) {
            return Optional.empty(); // a damaged line: the key is looked up and pinned again
        }
    }

    /** Whether the two pin the same account under the same name to the same keys. */
    boolean sameBinding(PinnedKey other) {
        return accountId == other.accountId && name.equals(other.name) && identity.equals(other.identity);
    }
}
