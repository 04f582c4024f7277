package dev.fastchat.client.internal;

import dev.fastchat.crypto.MessageSealer;
import dev.fastchat.crypto.SenderChain;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A session's sender chains: its own, one per conversation, and the other members' (and its own other sessions')
 * that it opened messages of.
 *
 * <p>Own chains live in memory only, for the session: a chain key never reaches the disk, two sessions of the same
 * user (a chat and a one-shot command on the same key store, say) never share a chain, so a message key, and with it
 * an AES-GCM nonce, is never used twice, even after a crash. A session announces a chain in a conversation before
 * its first message there, and a new one when the members or their keys change (the chain is bound to exactly the
 * keys it was announced to), after {@link #rotateAfter} messages, and when it is older than {@link #maxAge}.
 */
final class SenderChains {
    /** Chains of others kept open at once; a chain dropped from here is fetched again when needed. */
    private static final int RECEIVED_LIMIT = 4_096;

    /** One own chain: the chain, to whom it was announced, when, and how many messages it sealed. */
    static final class Own {
        final SenderChain.Sending chain;
        final String conversationId;
        final byte[] addressedTo;
        final Instant startedAt;
        private int sealed;

        private Own(SenderChain.Sending chain, String conversationId, byte[] addressedTo, Instant startedAt) {
            this.chain = chain;
            this.conversationId = conversationId;
            this.addressedTo = addressedTo;
            this.startedAt = startedAt;
        }
    }

    private final Map<String, Own> own = new ConcurrentHashMap<>();
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final Map<String, SenderChain.Receiving> received = Collections.synchronizedMap(new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, SenderChain.Receiving> eldest) {
            return size() > RECEIVED_LIMIT;
        }
    });
    /** This user's copies of chain announcements pushed to it, not opened yet (most recent kept). */
    private final Map<String, byte[]> pushed = Collections.synchronizedMap(new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
            return size() > RECEIVED_LIMIT;
        }
    });
    private volatile int rotateAfter = 1_000;
    private volatile Duration maxAge = Duration.ofDays(7);

    /** After how many messages, and at what age, an own chain is replaced by a new one. */
    void rotation(int messages, Duration age) {
        if (messages < 1 || messages > SenderChain.MAX_INDEX || age.isNegative() || age.isZero()) {
            throw new IllegalArgumentException("a chain rotates after 1 to " + SenderChain.MAX_INDEX + " messages and a positive age");
        }
        this.rotateAfter = messages;
        this.maxAge = age;
    }

    /** The lock under which a conversation's own chain is used (sealing moves it on). */
    ReentrantLock lock(String conversationId) {
        return locks.computeIfAbsent(conversationId, id -> new ReentrantLock());
    }

    /**
     * The own chain of a conversation if it can seal to {@code recipients} now: announced to exactly them, and
     * neither used up nor too old. Call under {@link #lock}.
     */
    Own usable(String conversationId, List<MessageSealer.Recipient> recipients, Instant now) {
        Own current = own.get(conversationId);
        if (current == null || !MessageDigest.isEqual(current.addressedTo, addressedTo(recipients))
                || current.sealed >= rotateAfter || current.chain.exhausted()
                || Duration.between(current.startedAt, now).compareTo(maxAge) >= 0) {
            return null;
        }
        return current;
    }

    /** A new own chain for a conversation, to be announced to {@code recipients}; replaces the one before. Call under {@link #lock}. */
    Own start(String conversationId, List<MessageSealer.Recipient> recipients, Instant now, SecureRandom random, long myId) {
        Own started = new Own(SenderChain.Sending.create(random), conversationId, addressedTo(recipients), now);
        own.put(conversationId, started);
        // This session's own messages open without asking the server for the chain.
        received.put(key(conversationId, myId, started.chain.chainId()),
                new SenderChain.Receiving(conversationId, myId, started.chain.announcement()));
        return started;
    }

    /** Seals the next message of {@code chain}. Call under {@link #lock}. */
    static byte[] seal(Own chain, MessageSealer.Sender sender, String clientMsgId, Instant sentAt, dev.fastchat.protocol.v1.Content content) {
        byte[] sealed = chain.chain.seal(sender, chain.conversationId, clientMsgId, sentAt, content);
        chain.sealed++;
        return sealed;
    }

    /** Forgets a conversation's own chain (its members changed, or the server does not know it): the next message starts one. */
    void drop(String conversationId) {
        own.remove(conversationId);
    }

    /** The chain {@code chainId} of {@code senderId} in a conversation, if this session opened it before. */
    SenderChain.Receiving received(String conversationId, long senderId, byte[] chainId) {
        return received.get(key(conversationId, senderId, chainId));
    }

    /** Keeps a chain opened from its announcement. */
    void keep(SenderChain.Receiving chain) {
        String key = key(chain.conversationId(), chain.senderId(), chain.chainId());
        received.put(key, chain);
        pushed.remove(key);
    }

    /** Keeps this user's copy of an announcement the server pushed, to open when a message of the chain comes. */
    void pushed(String conversationId, long senderId, byte[] chainId, byte[] sealed) {
        pushed.put(key(conversationId, senderId, chainId), sealed);
    }

    /** This user's pushed copy of a chain's announcement, if one came. */
    byte[] pushed(String conversationId, long senderId, byte[] chainId) {
        return pushed.get(key(conversationId, senderId, chainId));
    }

    private static String key(String conversationId, long senderId, byte[] chainId) {
        return conversationId + "/" + senderId + "/" + HexFormat.of().formatHex(chainId);
    }

    /** SHA-256 of the recipients' account ids, key ids and keys, in account order: what a chain is bound to. */
    static byte[] addressedTo(List<MessageSealer.Recipient> recipients) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            recipients.stream().sorted(java.util.Comparator.comparingLong(MessageSealer.Recipient::accountId)).forEach(recipient -> {
                sha256.update(ByteBuffer.allocate(12).putLong(recipient.accountId()).putInt(recipient.keyId()).array());
                sha256.update(recipient.x25519Public());
            });
            return sha256.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }
}
