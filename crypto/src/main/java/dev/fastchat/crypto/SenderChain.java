package dev.fastchat.crypto;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.fastchat.crypto.OpenException.Reason;
import dev.fastchat.protocol.MessageLimits;
import dev.fastchat.protocol.v1.Content;
import dev.fastchat.protocol.v1.MessageHeader;
import dev.fastchat.protocol.v1.SealedBody;
import dev.fastchat.protocol.v1.SealedMessage;
import dev.fastchat.protocol.v1.SenderKey;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Sender chains: group messages whose cost does not grow with the group (Signal's sender keys, Matrix's
 * Megolm). Each member has, per conversation, a chain of its own: a chain key ratcheted forward with
 * HMAC-SHA256 to one message key per message. The chain key is announced once to each member (a {@link SenderKey}
 * inside a version 2 message sealed to that member, {@link MessageSealer}); after that a message is sealed once,
 * under its index's message key, and signed with the sender's identity key so that members, who all hold the
 * chain, cannot forge each other's messages.
 *
 * <ul>
 *   <li>Message key i = HMAC-SHA256(chain key i, 0x01); chain key i+1 = HMAC-SHA256(chain key i, 0x02).</li>
 *   <li>AES-256-GCM key and nonce of message i: HKDF-SHA256(message key i, info "fastchat v3 sender message
 *       key", 44 bytes). Each message key is used once, so each nonce is too.</li>
 *   <li>The header (version 3, conversation, sender, client message id, chain id, index, and a SHA-256
 *       commitment to the message key) is the associated data; the signature covers header and body as for
 *       version 2. Members receive the chain key each apart, so without the commitment a member could hand two
 *       members two chains under which one ciphertext opens as two texts (AES-GCM does not commit to its key).</li>
 * </ul>
 *
 * <p>A {@link Sending} chain forgets each chain key as it moves past it. A {@link Receiving} chain keeps the
 * announced key (so history can be opened again, as the announcement on the server allows anyway), the newest
 * position it reached, and a bounded window of the message keys it skipped, for messages delivered out of order.
 */
public final class SenderChain {
    /** The header version of a chain message. */
    public static final int VERSION = dev.fastchat.protocol.ProtocolVersion.CHAIN_MESSAGE;
    public static final int CHAIN_ID_BYTES = 16;
    public static final int CHAIN_KEY_BYTES = 32;
    /** Skipped message keys a receiving chain keeps; older ones are derived again from the announced key. */
    public static final int MAX_SKIPPED = 2_000;
    /**
     * The highest index a chain may reach. Senders rotate long before; a receiver refuses to ratchet beyond it,
     * which bounds what one message can make it compute (65,536 HMACs, a few tens of milliseconds).
     */
    public static final int MAX_INDEX = 1 << 16;

    private static final byte[] MESSAGE_KEY_SEED = {0x01};
    private static final byte[] CHAIN_KEY_SEED = {0x02};
    private static final byte[] MESSAGE_KEY_INFO = "fastchat v3 sender message key".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COMMITMENT_CONTEXT = "fastchat v3 message key commitment".getBytes(StandardCharsets.US_ASCII);
    private static final int AES_KEY_BYTES = 32;
    private static final int NONCE_BYTES = 12;

    private SenderChain() {}

    /** The chain key after {@code chainKey}. */
    static byte[] next(byte[] chainKey) {
        return hmac(chainKey, CHAIN_KEY_SEED);
    }

    /** The message key of {@code chainKey}'s index. */
    static byte[] messageKey(byte[] chainKey) {
        return hmac(chainKey, MESSAGE_KEY_SEED);
    }

    /** A sender's chain in one conversation. Not thread-safe: one sender seals in turn. */
    public static final class Sending {
        private final byte[] chainId;
        private int index;
        private byte[] chainKey;

        private Sending(byte[] chainId, int index, byte[] chainKey) {
            if (chainId.length != CHAIN_ID_BYTES || chainKey.length != CHAIN_KEY_BYTES || index < 0 || index > MAX_INDEX) {
                throw new IllegalArgumentException("not a sender chain");
            }
            this.chainId = chainId.clone();
            this.index = index;
            this.chainKey = chainKey.clone();
        }

        /** A new chain: a random id and chain key, at index 0. */
        public static Sending create(SecureRandom random) {
            byte[] id = new byte[CHAIN_ID_BYTES];
            byte[] key = new byte[CHAIN_KEY_BYTES];
            random.nextBytes(id);
            random.nextBytes(key);
            Sending chain = new Sending(id, 0, key);
            Arrays.fill(key, (byte) 0);
            return chain;
        }

        /** A chain as it was saved: its id, its next index and the chain key at that index. */
        public static Sending restore(byte[] chainId, int index, byte[] chainKey) {
            return new Sending(chainId, index, chainKey);
        }

        public byte[] chainId() {
            return chainId.clone();
        }

        /** The index the next message takes. */
        public int nextIndex() {
            return index;
        }

        /** The chain key at {@link #nextIndex()}: to save the chain, or to announce it from here. */
        public byte[] chainKey() {
            return chainKey.clone();
        }

        /** What members are told of this chain: its key from the next index on. */
        public SenderKey announcement() {
            return SenderKey.newBuilder().setChainId(ByteString.copyFrom(chainId)).setFirstIndex(index)
                    .setChainKey(ByteString.copyFrom(chainKey)).build();
        }

        /** Moves {@code count} indices ahead without sealing (indices reserved by a saved state, say). */
        public void skip(int count) {
            if (count < 0 || (long) index + count > MAX_INDEX) {
                throw new IllegalArgumentException("cannot skip " + count + " from index " + index);
            }
            for (int i = 0; i < count; i++) {
                advance();
            }
        }

        /** Whether the chain has room for another message. */
        public boolean exhausted() {
            return index >= MAX_INDEX;
        }

        /**
         * Seals {@code content} as the chain's next message, signed by {@code sender}, and moves the chain on
         * (the message key and the chain key it came from are forgotten).
         *
         * @return a serialized {@link SealedMessage} of version 3
         * @throws OpenException with {@code TOO_LARGE} if the content is over the limit
         */
        public byte[] seal(MessageSealer.Sender sender, String conversationId, String clientMsgId, Instant sentAt, Content content) {
            if (exhausted()) {
                throw new IllegalStateException("the chain is used up: start a new one");
            }
            byte[] padded = Padding.pad(content.toByteArray());
            byte[] messageKey = messageKey(chainKey);
            byte[] header = MessageHeader.newBuilder()
                    .setVersion(VERSION)
                    .setConversationId(conversationId)
                    .setSenderId(sender.accountId())
                    .setSenderKeyId(sender.keyId())
                    .setClientMsgId(clientMsgId)
                    .setSentAtMs(sentAt.toEpochMilli())
                    .setChainId(ByteString.copyFrom(chainId))
                    .setChainIndex(index)
                    .setKeyCommitment(ByteString.copyFrom(commitment(messageKey)))
                    .build().toByteArray();
            advance();
            byte[] ciphertext = aes(Cipher.ENCRYPT_MODE, messageKey, header, padded);
            byte[] body = SealedBody.newBuilder().setCiphertext(ByteString.copyFrom(ciphertext)).build().toByteArray();
            return MessageSealer.signed(sender.keys(), header, new byte[0], body);
        }

        private void advance() {
            byte[] nextKey = next(chainKey);
            Arrays.fill(chainKey, (byte) 0);
            chainKey = nextKey;
            index++;
        }
    }

    /**
     * A chain of another member (or of this user's own, from another device or session), as announced: opens
     * the chain's messages, in any order. Not thread-safe.
     */
    public static final class Receiving {
        private final String conversationId;
        private final long senderId;
        private final byte[] chainId;
        private final int firstIndex;
        private final byte[] firstKey;
        /** The newest position reached: the chain key at {@link #index}. */
        private int index;
        private byte[] chainKey;
        /** Message keys of indices below {@link #index} not used yet, at most {@link #MAX_SKIPPED}, oldest dropped first. */
        private final Map<Integer, byte[]> skipped = new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, byte[]> eldest) {
                if (size() <= MAX_SKIPPED) {
                    return false;
                }
                Arrays.fill(eldest.getValue(), (byte) 0);
                return true;
            }
        };

        /**
         * A chain from an opened announcement.
         *
         * @param conversationId the conversation of the announcement (its checked header)
         * @param senderId the member who announced it (its checked header)
         * @throws OpenException with {@code MALFORMED} if the announcement is not a chain
         */
        public Receiving(String conversationId, long senderId, SenderKey announcement) {
            if (announcement.getChainId().size() != CHAIN_ID_BYTES || announcement.getChainKey().size() != CHAIN_KEY_BYTES
                    || announcement.getFirstIndex() > MAX_INDEX) {
                throw new OpenException(Reason.MALFORMED, "the announced sender chain is malformed");
            }
            this.conversationId = conversationId;
            this.senderId = senderId;
            this.chainId = announcement.getChainId().toByteArray();
            this.firstIndex = announcement.getFirstIndex();
            this.firstKey = announcement.getChainKey().toByteArray();
            this.index = firstIndex;
            this.chainKey = firstKey.clone();
        }

        public byte[] chainId() {
            return chainId.clone();
        }

        public long senderId() {
            return senderId;
        }

        public String conversationId() {
            return conversationId;
        }

        /**
         * Checks and opens a message of this chain: its format, that its header names the conversation, sender
         * and chain the server delivered it for and this chain was announced in, the signature against the
         * sender's (pinned) key, then decrypts. Any failure is an {@link OpenException}; the chain moves only for a
         * message whose signature holds.
         */
        public MessageSealer.Opened open(byte[] sealed, String deliveredIn, long deliveredFrom, byte[] senderSigningKey) {
            SealedMessage message;
            MessageHeader header;
            SealedBody body;
            try {
                message = SealedMessage.parseFrom(sealed);
                header = MessageHeader.parseFrom(message.getHeader());
                body = SealedBody.parseFrom(message.getBody());
            } catch (InvalidProtocolBufferException e) {
                throw new OpenException(Reason.MALFORMED, "not a sealed message", e);
            }
            if (header.getVersion() != VERSION) {
                throw new OpenException(Reason.MALFORMED, "not a message of a sender chain (version " + header.getVersion() + ")");
            }
            if (!header.getConversationId().equals(deliveredIn) || !conversationId.equals(deliveredIn)) {
                throw new OpenException(Reason.WRONG_CONVERSATION, "sealed for conversation " + header.getConversationId()
                        + " but delivered in " + deliveredIn);
            }
            if (header.getSenderId() != deliveredFrom || senderId != deliveredFrom) {
                throw new OpenException(Reason.WRONG_SENDER, "sealed as from account " + header.getSenderId()
                        + " but delivered from account " + deliveredFrom);
            }
            if (!MessageDigest.isEqual(header.getChainId().toByteArray(), chainId)) {
                throw new OpenException(Reason.UNKNOWN_CHAIN, "sealed in another sender chain");
            }
            byte[] headerBytes = message.getHeader().toByteArray();
            verify(message, headerBytes, senderSigningKey);
            int at = header.getChainIndex();
            if (at < firstIndex || at >= MAX_INDEX) {
                throw new OpenException(Reason.UNKNOWN_CHAIN, "index " + at + " is outside the announced chain (from " + firstIndex + ")");
            }
            if (body.getCiphertext().size() > MessageLimits.MAX_PADDED_CONTENT_BYTES + AesGcm.TAG_BITS / 8 || body.getNonce().size() != 0) {
                throw new OpenException(Reason.MALFORMED, "the body is malformed or too large");
            }
            byte[] messageKey = keyAt(at);
            if (!MessageDigest.isEqual(commitment(messageKey), header.getKeyCommitment().toByteArray())) {
                Arrays.fill(messageKey, (byte) 0);
                throw new OpenException(Reason.TAMPERED, "the message key does not match the key commitment in the signed header:"
                        + " the sender gave members different chains");
            }
            byte[] padded = aes(Cipher.DECRYPT_MODE, messageKey, headerBytes, body.getCiphertext().toByteArray());
            try {
                return new MessageSealer.Opened(header, Content.parseFrom(Padding.unpad(padded)));
            } catch (InvalidProtocolBufferException e) {
                throw new OpenException(Reason.MALFORMED, "the content is malformed", e);
            }
        }

        /** The message key of index {@code at}: from the window, by moving forward, or derived again from the announced key. */
        private byte[] keyAt(int at) {
            byte[] kept = skipped.remove(at);
            if (kept != null) {
                return kept;
            }
            if (at >= index) {
                while (index < at) {
                    skipped.put(index, messageKey(chainKey));
                    step();
                }
                return messageKey(chainKey);
            }
            byte[] key = firstKey.clone(); // older than the window: the announced key leads there again
            for (int i = firstIndex; i < at; i++) {
                byte[] nextKey = next(key);
                Arrays.fill(key, (byte) 0);
                key = nextKey;
            }
            return messageKey(key);
        }

        private void step() {
            byte[] nextKey = next(chainKey);
            Arrays.fill(chainKey, (byte) 0);
            chainKey = nextKey;
            index++;
        }
    }

    /** The signature check of version 2, on a message that must list no recipients. */
    private static void verify(SealedMessage message, byte[] headerBytes, byte[] senderSigningKey) {
        if (!message.getRecipients().isEmpty()) {
            throw new OpenException(Reason.BAD_SIGNATURE, "missing or malformed signature");
        }
        MessageSealer.verify(message, headerBytes, senderSigningKey);
    }

    /** SHA-256 of a context string and a message key: binds the signed header to one key. */
    static byte[] commitment(byte[] messageKey) {
        return MessageSealer.commitment(COMMITMENT_CONTEXT, messageKey);
    }

    /** AES-256-GCM under the key and nonce HKDF derives from {@code messageKey}, {@code aad} the header. */
    private static byte[] aes(int mode, byte[] messageKey, byte[] aad, byte[] input) {
        byte[] material = Hkdf.sha256(messageKey, new byte[0], MESSAGE_KEY_INFO, AES_KEY_BYTES + NONCE_BYTES);
        try {
            return AesGcm.cipher(mode, Arrays.copyOf(material, AES_KEY_BYTES),
                    Arrays.copyOfRange(material, AES_KEY_BYTES, AES_KEY_BYTES + NONCE_BYTES), aad).doFinal(input);
        } catch (AEADBadTagException e) {
            throw new OpenException(Reason.TAMPERED, "the body does not decrypt: it was altered", e);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("AES-GCM failed", e);
        } finally {
            Arrays.fill(material, (byte) 0);
            Arrays.fill(messageKey, (byte) 0);
        }
    }

    private static byte[] hmac(byte[] key, byte[] seed) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(seed);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("HMAC-SHA256 failed", e);
        }
    }
}
