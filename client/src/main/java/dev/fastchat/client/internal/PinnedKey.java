package dev.fastchat.client.internal;

import dev.fastchat.crypto.PublicIdentity;
import java.util.Base64;
import java.util.Optional;

/** A contact's identity key as pinned on first use. */
public record PinnedKey(long accountId, String name, int keyId, PublicIdentity identity) {
    String format() {
        return name + "," + keyId + "," + Base64.getEncoder().encodeToString(identity.x25519()) + ","
                + Base64.getEncoder().encodeToString(identity.ed25519());
    }

    static Optional<PinnedKey> parse(long accountId, String value) {
        String[] parts = value.split(",");
        try {
            return Optional.of(new PinnedKey(accountId, parts[0], Integer.parseInt(parts[1]),
                    new PublicIdentity(Base64.getDecoder().decode(parts[2]), Base64.getDecoder().decode(parts[3]))));
        } catch (RuntimeException e) {
            return Optional.empty(); // a damaged line: the key is looked up and pinned again
        }
    }
}
