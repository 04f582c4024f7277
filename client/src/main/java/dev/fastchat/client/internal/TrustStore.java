package dev.fastchat.client.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.fastchat.client.ChatException;
import dev.fastchat.crypto.CryptoException;
import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.crypto.PublicIdentity;
import dev.fastchat.crypto.SealedTrustState;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.GetTrustState;
import dev.fastchat.protocol.v1.PutTrustState;
import dev.fastchat.protocol.v1.TrustState;
import dev.fastchat.protocol.v1.TrustedContact;
import dev.fastchat.protocol.v1.TrustedContacts;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The contacts' keys one user pinned and verified: kept on this device (owner-only, beside the identity
 * keys) and, sealed under a key derived from the identity keys ({@link SealedTrustState}), on the server, so
 * that the user's other and future devices trust exactly what this one trusts. Changes are pushed shortly
 * after they happen (coalesced), as the next version; when another device stored one in between, the two
 * are merged (per contact, the newer pin wins) and pushed again.
 *
 * <p>What the server can still do: withhold the state (a new device then pins on first use, as before), or
 * serve an older one than this device last synced (detected: logged, and this device's state is pushed
 * again). It cannot read it, alter it, relabel an old one as new, or move it to another account.
 */
public final class TrustStore {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(TrustStore.class);
    private static final Duration COALESCE = Duration.ofMillis(200);
    private static final int MAX_MERGES = 5;

    private final Function<Envelope.Builder, CompletableFuture<Envelope>> rpc;
    private final LocalKeyStore keyStore;
    private final String serverId;
    private final String myName;
    private volatile IdentityKeyPair identity;
    private final SecureRandom random;
    private final Clock clock;
    private final Map<Long, PinnedKey> pins;
    /** The version of the trust state on the server that this device's pins include. */
    private long version;
    /** The push in progress or scheduled; completes when the pins are stored. */
    private CompletableFuture<Void> pushing = CompletableFuture.completedFuture(null);
    private boolean pushScheduled;

    public TrustStore(Function<Envelope.Builder, CompletableFuture<Envelope>> rpc, LocalKeyStore keyStore, String serverId,
                      String myName, IdentityKeyPair identity, SecureRandom random, Clock clock) {
        this.rpc = rpc;
        this.keyStore = keyStore;
        this.serverId = serverId;
        this.myName = myName;
        this.identity = identity;
        this.random = random;
        this.clock = clock;
        LocalKeyStore.Pins loaded = keyStore.loadPins(serverId, myName);
        this.pins = loaded.byAccount();
        this.version = loaded.version();
    }

    /** Seals with the user's new identity keys from now on, and pushes the pins sealed under them. */
    public void replaceIdentity(IdentityKeyPair newIdentity) {
        identity = newIdentity;
        schedulePush();
    }

    /** The pin of account {@code accountId}, if any. */
    public Optional<PinnedKey> get(long accountId) {
        return Optional.ofNullable(pins.get(accountId));
    }

    /** The pin of whoever was pinned under {@code name}, if anyone. */
    public Optional<PinnedKey> named(String name) {
        return pins.values().stream().filter(pin -> pin.name().equals(name)).findFirst();
    }

    /** Every pin. */
    public Collection<PinnedKey> all() {
        return List.copyOf(pins.values());
    }

    /**
     * Pins the keys of an account met for the first time (nothing pinned of the account, nor of its name), in one step:
     * two threads meeting it at once must not see "no pin of the account" before the other pins it and "a pin of the
     * name" after.
     *
     * @return empty when this call pinned it (first use); else the account's pin as it stands (empty when only its
     *     name is pinned, under another account)
     */
    public synchronized Optional<Optional<PinnedKey>> pinOnFirstUse(long accountId, String name, int keyId, PublicIdentity keys) {
        Optional<PinnedKey> pin = get(accountId);
        if (pin.isEmpty() && named(name).isEmpty()) {
            pin(accountId, name, keyId, keys, false);
            return Optional.empty();
        }
        return Optional.of(pin);
    }

    /** Pins {@code pin} (replacing any pin of its account, and any of its name under another account); pushes soon. */
    public synchronized void pin(long accountId, String name, int keyId, PublicIdentity keys, boolean verified) {
        pins.values().removeIf(pin -> pin.name().equals(name) && pin.accountId() != accountId);
        pins.put(accountId, new PinnedKey(accountId, name, keyId, keys, verified, clock.millis()));
        keyStore.savePins(serverId, myName, pins.values(), version);
        schedulePush();
    }

    /**
     * Brings the pins stored on the server into this device's (blocking; before any trust decision of a new
     * session), and pushes the merge when this device knew more.
     *
     * @throws ChatException {@code UNTRUSTED_SERVER} when the stored state does not open with this user's keys
     */
    public void pull() {
        TrustState stored = Messenger.await(rpc.apply(Envelope.newBuilder().setGetTrustState(GetTrustState.getDefaultInstance())))
                .getTrustState();
        boolean changedHere;
        synchronized (this) {
            changedHere = merge(stored);
        }
        if (changedHere) {
            schedulePush();
        }
    }

    /**
     * Merges a stored state into the pins.
     *
     * @return whether this device has pins the stored state lacks (so it should push)
     */
    private boolean merge(TrustState stored) {
        boolean older = stored.getVersion() < version;
        if (older) {
            log.warn("the server holds version {} of the trust state of {}, older than version {} that this device synced;"
                    + " storing this device's pins again", stored.getVersion(), myName, version);
        }
        Map<Long, PinnedKey> theirs = stored.getVersion() == 0 ? Map.of() : open(stored);
        for (PinnedKey pin : theirs.values()) {
            PinnedKey mine = pins.get(pin.accountId());
            if (mine == null || (pin.changedAtMs() > mine.changedAtMs() && !pin.equals(mine))) {
                pins.values().removeIf(other -> other.name().equals(pin.name()) && other.accountId() != pin.accountId()
                        && other.changedAtMs() <= pin.changedAtMs());
                pins.put(pin.accountId(), pin);
            }
        }
        boolean ahead = older || pins.values().stream().anyMatch(mine -> !mine.equals(theirs.get(mine.accountId())));
        version = stored.getVersion();
        keyStore.savePins(serverId, myName, pins.values(), version);
        return ahead;
    }

    private Map<Long, PinnedKey> open(TrustState stored) {
        TrustedContacts contacts;
        try {
            contacts = TrustedContacts.parseFrom(SealedTrustState.open(identity, myName, stored.getVersion(), stored.getSealed().toByteArray()));
        } catch (CryptoException | InvalidProtocolBufferException e) {
            throw new ChatException(ErrorCode.UNTRUSTED_SERVER, "the trust state the server keeps for " + myName
                    + " (version " + stored.getVersion() + ") does not open with this account's keys: " + e.getMessage(), e);
        }
        Map<Long, PinnedKey> opened = new java.util.HashMap<>();
        for (TrustedContact contact : contacts.getContactsList()) {
            opened.put(contact.getAccountId(), new PinnedKey(contact.getAccountId(), contact.getUsername(), contact.getKeyId(),
                    new PublicIdentity(contact.getX25519Public().toByteArray(), contact.getEd25519Public().toByteArray()),
                    contact.getVerified(), contact.getChangedAtMs()));
        }
        return opened;
    }

    private synchronized void schedulePush() {
        if (pushScheduled) {
            return;
        }
        pushScheduled = true;
        pushing = pushing.exceptionally(e -> null)
                .thenRunAsync(() -> { }, CompletableFuture.delayedExecutor(COALESCE.toMillis(), TimeUnit.MILLISECONDS,
                        command -> Thread.ofVirtual().name("fastchat-trust").start(command)))
                .thenRun(this::push);
    }

    /** Stores the pins as the next version, merging with another device's when it stored one in between. */
    private void push() {
        for (int attempt = 1; ; attempt++) {
            long next;
            byte[] sealed;
            synchronized (this) {
                pushScheduled = false;
                next = version + 1;
                TrustedContacts.Builder contacts = TrustedContacts.newBuilder();
                for (PinnedKey pin : pins.values()) {
                    contacts.addContacts(TrustedContact.newBuilder().setAccountId(pin.accountId()).setUsername(pin.name())
                            .setKeyId(pin.keyId()).setX25519Public(ByteString.copyFrom(pin.identity().x25519()))
                            .setEd25519Public(ByteString.copyFrom(pin.identity().ed25519())).setVerified(pin.verified())
                            .setChangedAtMs(pin.changedAtMs()));
                }
                sealed = SealedTrustState.seal(identity, myName, next, contacts.build().toByteArray(), random);
            }
            try {
                Messenger.await(rpc.apply(Envelope.newBuilder().setPutTrustState(PutTrustState.newBuilder()
                        .setVersion(next).setSealed(ByteString.copyFrom(sealed)))));
                synchronized (this) {
                    version = Math.max(version, next);
                    keyStore.savePins(serverId, myName, pins.values(), version);
                }
                return;
            } catch (ChatException e) {
                if (e.code() != ErrorCode.STALE_VERSION || attempt == MAX_MERGES) {
                    log.warn("the pins of {} were not stored on the server (they stay on this device): {}", myName, e.getMessage());
                    return;
                }
                pull(); // another device stored a version in between: merge it, then push again
            } catch (RuntimeException e) {
                log.warn("the pins of {} were not stored on the server (they stay on this device): {}", myName, e.getMessage());
                return;
            }
        }
    }

    /** Waits (at most {@code limit}) until every change so far is stored on the server. */
    public void flush(Duration limit) {
        CompletableFuture<Void> current;
        synchronized (this) {
            current = pushing;
        }
        try {
            current.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.debug("pins of {} not flushed: {}", myName, e.toString());
        }
    }
}
