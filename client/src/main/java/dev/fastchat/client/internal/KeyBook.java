package dev.fastchat.client.internal;

import dev.fastchat.client.ChatException;
import dev.fastchat.client.KeyTrust;
import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.crypto.PublicIdentity;
import dev.fastchat.crypto.SafetyNumber;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.KeyLookup;
import dev.fastchat.protocol.v1.UserKeys;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The keys of the users one session meets: what the server hands out (looked up once, kept for the session), held
 * against this device's pins (pinned on first use; a changed key, name or account refused until the user accepts or
 * verifies it). Thread-safe.
 */
final class KeyBook {
    private final Function<Envelope.Builder, CompletableFuture<Envelope>> rpc;
    private final long myId;
    private final String myName;
    private final IdentityKeyPair identity;
    private final TrustStore pins;
    /** What the server said this session, by account id and by name. */
    private final Map<Long, UserKeys> served = new ConcurrentHashMap<>();
    private final Map<String, Long> idsByName = new ConcurrentHashMap<>();

    KeyBook(Function<Envelope.Builder, CompletableFuture<Envelope>> rpc, long myId, String myName, IdentityKeyPair identity,
            TrustStore pins) {
        this.rpc = rpc;
        this.myId = myId;
        this.myName = myName;
        this.identity = identity;
        this.pins = pins;
    }

    /** The user's keys as the server hands them out now (cached for this session). */
    UserKeys user(String name) {
        Long id = idsByName.get(name);
        if (id != null) {
            return served.get(id);
        }
        return lookUp(KeyLookup.newBuilder().addUsernames(name));
    }

    /** The account's keys as the server hands them out now (cached for this session). */
    UserKeys user(long accountId) {
        UserKeys known = served.get(accountId);
        if (known != null) {
            return known;
        }
        return lookUp(KeyLookup.newBuilder().addAccountIds(accountId));
    }

    /** Asks the server for the one user {@code lookup} names, and keeps the answer. */
    private UserKeys lookUp(KeyLookup.Builder lookup) {
        return remember(Messenger.await(rpc.apply(Envelope.newBuilder().setKeyLookup(lookup))).getKeyBundle().getUsers(0));
    }

    /** Keeps keys the server handed out with something else (a member list, a push of changed keys). */
    UserKeys remember(UserKeys user) {
        served.put(user.getAccountId(), user);
        idsByName.put(user.getUsername(), user.getAccountId());
        return user;
    }

    /**
     * Keeps keys the server sent along with something else that spares a lookup (a chain's announcement), unless it
     * handed out this account's keys before in this session: those stay until the server says they changed.
     */
    void rememberIfNew(UserKeys user) {
        if (served.putIfAbsent(user.getAccountId(), user) == null) {
            idsByName.putIfAbsent(user.getUsername(), user.getAccountId());
        }
    }

    /** Forgets the keys the server handed out, so the next use asks again. */
    void forgetServed() {
        served.clear();
        idsByName.clear();
    }

    /** The pin of the account, if this device has one. */
    Optional<PinnedKey> pinOf(long accountId) {
        return pins.get(accountId);
    }

    /**
     * Compares what the server hands out with the pin, pinning on first use. A pin binds name, account id and
     * keys: the name served under another account id (a new account made to look like a known contact), or
     * the account id under another name, is a change just as other keys are.
     */
    KeyTrust trust(UserKeys user) {
        if (user.getAccountId() == myId) {
            return identity.publicIdentity().equals(publicIdentity(user)) ? KeyTrust.PINNED : KeyTrust.KEY_CHANGED;
        }
        Optional<Optional<PinnedKey>> known = pins.pinOnFirstUse(user.getAccountId(), user.getUsername(), user.getIdentity().getKeyId(),
                publicIdentity(user));
        if (known.isEmpty()) {
            return KeyTrust.FIRST_USE;
        }
        Optional<PinnedKey> pin = known.get();
        boolean bound = pin.isPresent() && pin.get().name().equals(user.getUsername()) && pin.get().identity().equals(publicIdentity(user));
        return !bound ? KeyTrust.KEY_CHANGED : pin.get().verified() ? KeyTrust.VERIFIED : KeyTrust.PINNED;
    }

    /** Refuses (with {@code UNTRUSTED_KEY}, saying what to do) keys that are not the pinned ones. */
    void requireTrusted(UserKeys user) {
        if (trust(user) == KeyTrust.KEY_CHANGED) {
            Optional<PinnedKey> pin = pins.get(user.getAccountId());
            String what = pin.isEmpty() ? "the name " + user.getUsername() + " now belongs to another account than the one pinned"
                    : !pin.get().name().equals(user.getUsername())
                    ? "the account pinned as " + pin.get().name() + " is now served as " + user.getUsername()
                    : user.getUsername() + "'s identity key changed since it was pinned";
            throw new ChatException(ErrorCode.UNTRUSTED_KEY, what + "; compare safety numbers (fastchat keys verify --user " + myName
                    + " " + user.getUsername() + ") and then " + (wasVerified(user)
                    ? "mark the new key verified (fastchat keys mark-verified --user " + myName + " " + user.getUsername() + ")"
                    : "accept the new key (fastchat keys accept --user " + myName + " " + user.getUsername() + ")"));
        }
    }

    /** Whether the user verified the account, or the name, that {@code user} is served as. */
    private boolean wasVerified(UserKeys user) {
        return pins.get(user.getAccountId()).map(PinnedKey::verified).orElse(false)
                || pins.named(user.getUsername()).map(PinnedKey::verified).orElse(false);
    }

    private void pin(UserKeys user, boolean verified) {
        pins.pin(user.getAccountId(), user.getUsername(), user.getIdentity().getKeyId(), publicIdentity(user), verified);
    }

    /**
     * Pins the key the server hands out now for {@code name} (canonical), replacing a changed one (and any pin of the
     * name). A contact the user had verified is not accepted so: its new key must be verified ({@link #markVerified}).
     */
    void accept(String name) {
        UserKeys user = fresh(name);
        if (trust(user) == KeyTrust.KEY_CHANGED && wasVerified(user)) {
            throw ChatException.local(ErrorCode.UNTRUSTED_KEY, user.getUsername() + " was verified, and the key changed:"
                    + " compare the new safety number (fastchat keys verify --user " + myName + " " + user.getUsername()
                    + ") and mark it verified (fastchat keys mark-verified --user " + myName + " " + user.getUsername() + ")");
        }
        pin(user, trust(user) == KeyTrust.VERIFIED);
    }

    /**
     * Records that the user compared the safety number of {@code name}'s (canonical) current key out of band and it
     * matched: the key is pinned as verified, replacing a changed one.
     */
    Messenger.Verification markVerified(String name) {
        UserKeys user = fresh(name);
        if (user.getAccountId() == myId) {
            throw ChatException.local(ErrorCode.BAD_REQUEST, "you cannot verify yourself");
        }
        pin(user, true);
        return new Messenger.Verification(SafetyNumber.of(myName, identity.publicIdentity(), user.getUsername(), publicIdentity(user)),
                KeyTrust.VERIFIED);
    }

    /** The safety number of this user and {@code name} (canonical), and whether the server's key for them is the pinned one. */
    Messenger.Verification verify(String name) {
        UserKeys user = fresh(name);
        KeyTrust trust = trust(user);
        return new Messenger.Verification(SafetyNumber.of(myName, identity.publicIdentity(), user.getUsername(), publicIdentity(user)),
                trust);
    }

    /** The keys of {@code name} as the server hands them out now, asked again. */
    private UserKeys fresh(String name) {
        Long id = idsByName.remove(name);
        if (id != null) {
            served.remove(id);
        }
        return user(name);
    }

    private static PublicIdentity publicIdentity(UserKeys user) {
        return new PublicIdentity(user.getIdentity().getX25519Public().toByteArray(), user.getIdentity().getEd25519Public().toByteArray());
    }
}
