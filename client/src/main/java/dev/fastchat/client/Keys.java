package dev.fastchat.client;

import dev.fastchat.client.internal.Messenger;
import dev.fastchat.protocol.Names;
import java.util.concurrent.CompletableFuture;

/**
 * Keys: the safety number to compare with a contact's, recording that it matched, accepting a contact's new key, and
 * replacing this user's own. Got from {@link ChatClient#keys()}; needs a log-in.
 */
public final class Keys {
    private final ChatClient client;

    Keys(ChatClient client) {
        this.client = client;
    }

    /**
     * The safety number of this user and {@code user} (compare it with theirs out of band), and whether the
     * key the server hands out for them is the one pinned here.
     */
    public CompletableFuture<KeyVerification> verify(String user) {
        return client.work(m -> {
            Messenger.Verification verification = m.verify(user);
            return new KeyVerification(Names.canonical(user).orElse(user), verification.safetyNumber(), verification.trust());
        });
    }

    /**
     * Records that the safety number of {@code user} (see {@link #verify}) was compared out of band and
     * matched: their current key is pinned as verified (replacing a changed one). A verified contact whose key
     * changes later is refused until it is verified again; accepting is not enough.
     */
    public CompletableFuture<KeyVerification> markVerified(String user) {
        return client.work(m -> {
            Messenger.Verification verification = m.markVerified(user);
            return new KeyVerification(Names.canonical(user).orElse(user), verification.safetyNumber(), verification.trust());
        });
    }

    /**
     * Pins the key the server now hands out for {@code user}, after its safety number was compared. Fails
     * with {@code UNTRUSTED_KEY} for a contact that was verified: mark the new key verified instead.
     */
    public CompletableFuture<Void> accept(String user) {
        return client.work(m -> {
            m.accept(user);
            return null;
        });
    }

    /**
     * Replaces this user's identity keys with new ones (after a device that held them was lost or
     * compromised): the password proves it is the user (a session alone cannot), the new private keys are
     * sealed with it for the server's backup and kept here. Contacts are told at once and see a key-change
     * warning until they compare safety numbers again. Messages sealed to the old keys stay readable only
     * where the old keys are.
     */
    public CompletableFuture<Void> replace(char[] password) {
        return client.replaceKeys(password);
    }
}
