package dev.fastchat.crypto;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.fastchat.crypto.OpenException.Reason;
import dev.fastchat.protocol.MessageLimits;
import dev.fastchat.protocol.v1.Content;
import dev.fastchat.protocol.v1.MessageHeader;
import dev.fastchat.protocol.v1.RecipientKey;
import dev.fastchat.protocol.v1.RecipientList;
import dev.fastchat.protocol.v1.SealedBody;
import dev.fastchat.protocol.v1.SealedMessage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * Seals and opens messages end to end (DESIGN.md section 5). The content is encrypted once with a fresh
 * AES-256-GCM content key, the serialized header as associated data; the content key is sealed to every
 * recipient (the sender included, so their other devices and history can read it) with {@link Hpke}; the
 * sender signs header, recipients and body with Ed25519.
 *
 * <p>{@link #open} checks, in order: the format, that the header names the conversation and sender the
 * server delivered it for, the signature against the sender's (pinned) key, this user's recipient entry,
 * that the content key it unseals is the one the signed header commits to (so every recipient reads the
 * same text), then decrypts. Any failure is an {@link OpenException} and nothing of the message may be shown.
 * Replays of a message at another seq of the same conversation are the caller's to detect (they need
 * state): see the header's {@code client_msg_id}.
 */
public final class MessageSealer {
    /** The header version this class writes: 2, with a commitment to the content key. */
    public static final int VERSION = dev.fastchat.protocol.ProtocolVersion.SEALED_MESSAGE;
    /** The version before key commitment: still opened (history written before it), never written. */
    static final int VERSION_WITHOUT_COMMITMENT = 1;
    private static final byte[] COMMITMENT_CONTEXT = "fastchat v2 key commitment".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SIGNATURE_CONTEXT = "fastchat v1 message signature".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEY_INFO_PREFIX = "fastchat v1 content key".getBytes(StandardCharsets.US_ASCII);
    private static final int KEY_BYTES = 32;
    private static final int NONCE_BYTES = 12;

    private MessageSealer() {}

    /**
     * Who sends: account id, key id and identity keys.
     */
    public record Sender(long accountId, int keyId, IdentityKeyPair keys) {}

    /**
     * One recipient's encryption key.
     *
     * @param x25519Public the recipient's raw X25519 public key
     */
    public record Recipient(long accountId, int keyId, byte[] x25519Public) {}

    /** A successfully opened message. */
    public record Opened(MessageHeader header, Content content) {
        public Instant sentAt() {
            return Instant.ofEpochMilli(header.getSentAtMs());
        }
    }

    /**
     * Seals {@code content} for {@code recipients}.
     *
     * @return a serialized {@link SealedMessage}
     * @throws OpenException with {@code TOO_LARGE} if the content is over the limit
     */
    public static byte[] seal(Sender sender, String conversationId, String clientMsgId, Instant sentAt, Content content,
                              List<Recipient> recipients, SecureRandom random) {
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a message needs at least one recipient");
        }
        byte[] contentKey = new byte[KEY_BYTES];
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(contentKey);
        random.nextBytes(nonce);
        byte[] header = MessageHeader.newBuilder()
                .setVersion(VERSION)
                .setConversationId(conversationId)
                .setSenderId(sender.accountId())
                .setSenderKeyId(sender.keyId())
                .setClientMsgId(clientMsgId)
                .setSentAtMs(sentAt.toEpochMilli())
                .setKeyCommitment(ByteString.copyFrom(commitment(contentKey)))
                .build().toByteArray();
        byte[] body = SealedBody.newBuilder()
                .setNonce(ByteString.copyFrom(nonce))
                .setCiphertext(ByteString.copyFrom(aes(Cipher.ENCRYPT_MODE, contentKey, nonce, header,
                        Padding.pad(content.toByteArray()))))
                .build().toByteArray();
        byte[] info = keyInfo(header);
        RecipientList.Builder list = RecipientList.newBuilder();
        for (Recipient recipient : recipients) {
            Hpke.Sealed sealedKey = Hpke.seal(recipient.x25519Public(), info, accountAad(recipient.accountId()), contentKey);
            list.addRecipients(RecipientKey.newBuilder()
                    .setAccountId(recipient.accountId())
                    .setKeyId(recipient.keyId())
                    .setEnc(ByteString.copyFrom(sealedKey.enc()))
                    .setSealedContentKey(ByteString.copyFrom(sealedKey.ciphertext())));
        }
        java.util.Arrays.fill(contentKey, (byte) 0);
        return signed(sender.keys(), header, list.build().toByteArray(), body);
    }

    /** The serialized {@link SealedMessage} of these parts, signed by {@code keys} over {@link #signedDigest}. */
    static byte[] signed(IdentityKeyPair keys, byte[] header, byte[] recipients, byte[] body) {
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, keys.signingKey());
        byte[] digest = signedDigest(header, recipients, body);
        signer.update(digest, 0, digest.length);
        return SealedMessage.newBuilder()
                .setHeader(ByteString.copyFrom(header))
                .setRecipients(ByteString.copyFrom(recipients))
                .setBody(ByteString.copyFrom(body))
                .setSignature(ByteString.copyFrom(signer.generateSignature()))
                .build().toByteArray();
    }

    /** Reads the header without checking anything (to find out whose key verifies it). */
    public static MessageHeader header(byte[] sealed) {
        try {
            return MessageHeader.parseFrom(SealedMessage.parseFrom(sealed).getHeader());
        } catch (InvalidProtocolBufferException e) {
            throw new OpenException(Reason.MALFORMED, "not a sealed message", e);
        }
    }

    /**
     * Checks and opens a sealed message.
     *
     * @param conversationId the conversation the server delivered it in
     * @param senderId the sender the server delivered it from
     * @param senderSigningKey the sender's raw Ed25519 public key (the pinned one)
     * @param myAccountId this user's account id
     * @param me this user's identity
     * @throws OpenException if any check fails
     */
    public static Opened open(byte[] sealed, String conversationId, long senderId, byte[] senderSigningKey,
                              long myAccountId, IdentityKeyPair me) {
        SealedMessage message;
        MessageHeader header;
        RecipientList recipients;
        SealedBody body;
        try {
            message = SealedMessage.parseFrom(sealed);
            header = MessageHeader.parseFrom(message.getHeader());
            recipients = RecipientList.parseFrom(message.getRecipients());
            body = SealedBody.parseFrom(message.getBody());
        } catch (InvalidProtocolBufferException e) {
            throw new OpenException(Reason.MALFORMED, "not a sealed message", e);
        }
        if (header.getVersion() != VERSION && header.getVersion() != VERSION_WITHOUT_COMMITMENT) {
            throw new OpenException(Reason.MALFORMED, "sealed with unknown version " + header.getVersion());
        }
        if (!header.getConversationId().equals(conversationId)) {
            throw new OpenException(Reason.WRONG_CONVERSATION, "sealed for conversation " + header.getConversationId()
                    + " but delivered in " + conversationId);
        }
        if (header.getSenderId() != senderId) {
            throw new OpenException(Reason.WRONG_SENDER, "sealed as from account " + header.getSenderId()
                    + " but delivered from account " + senderId);
        }
        byte[] headerBytes = message.getHeader().toByteArray();
        verify(message, headerBytes, senderSigningKey);
        RecipientKey mine = null;
        Set<Long> seen = new HashSet<>();
        for (RecipientKey recipient : recipients.getRecipientsList()) {
            if (!seen.add(recipient.getAccountId())) {
                throw new OpenException(Reason.MALFORMED, "account " + recipient.getAccountId() + " is listed twice");
            }
            if (recipient.getAccountId() == myAccountId) {
                mine = recipient;
            }
        }
        if (mine == null) {
            throw new OpenException(Reason.NOT_A_RECIPIENT, "this message was not sealed for account " + myAccountId);
        }
        byte[] contentKey;
        try {
            contentKey = Hpke.receiverContext(mine.getEnc().toByteArray(), me.encryptionKeyPair(), keyInfo(headerBytes))
                    .open(accountAad(myAccountId), mine.getSealedContentKey().toByteArray());
        } catch (org.bouncycastle.crypto.InvalidCipherTextException | RuntimeException e) {
            throw new OpenException(Reason.TAMPERED, "the content key does not open with this identity", e);
        }
        if (header.getVersion() == VERSION && !MessageDigest.isEqual(commitment(contentKey), header.getKeyCommitment().toByteArray())) {
            throw new OpenException(Reason.TAMPERED, "the content key does not match the key commitment in the signed header:"
                    + " the sender sealed different keys to different members");
        }
        if (body.getNonce().size() != NONCE_BYTES
                || body.getCiphertext().size() > MessageLimits.MAX_PADDED_CONTENT_BYTES + AesGcm.TAG_BITS / 8) {
            throw new OpenException(Reason.MALFORMED, "the body is malformed or too large");
        }
        byte[] padded = aes(Cipher.DECRYPT_MODE, contentKey, body.getNonce().toByteArray(), headerBytes,
                body.getCiphertext().toByteArray());
        java.util.Arrays.fill(contentKey, (byte) 0);
        try {
            return new Opened(header, Content.parseFrom(Padding.unpad(padded)));
        } catch (InvalidProtocolBufferException e) {
            throw new OpenException(Reason.MALFORMED, "the content is malformed", e);
        }
    }

    /** Checks the signature of {@code message} (whose header is {@code headerBytes}) against the sender's key. */
    static void verify(SealedMessage message, byte[] headerBytes, byte[] senderSigningKey) {
        if (senderSigningKey.length != 32 || message.getSignature().size() != 64) {
            throw new OpenException(Reason.BAD_SIGNATURE, "missing or malformed signature");
        }
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, new Ed25519PublicKeyParameters(senderSigningKey));
        byte[] digest = signedDigest(headerBytes, message.getRecipients().toByteArray(), message.getBody().toByteArray());
        verifier.update(digest, 0, digest.length);
        if (!verifier.verifySignature(message.getSignature().toByteArray())) {
            throw new OpenException(Reason.BAD_SIGNATURE, "the signature does not match the sender's key");
        }
    }

    /** SHA-256 of a context string and the content key: binds the header, and so the signature, to one key. */
    static byte[] commitment(byte[] contentKey) {
        return commitment(COMMITMENT_CONTEXT, contentKey);
    }

    /** SHA-256 of {@code context} and {@code key}. */
    static byte[] commitment(byte[] context, byte[] key) {
        MessageDigest sha256 = sha256();
        sha256.update(context);
        return sha256.digest(key);
    }

    /** The signed bytes: a context string and the SHA-256 of each part, so no part can be moved into another. */
    static byte[] signedDigest(byte[] header, byte[] recipients, byte[] body) {
        MessageDigest sha256 = sha256();
        ByteBuffer signed = ByteBuffer.allocate(SIGNATURE_CONTEXT.length + 3 * 32).put(SIGNATURE_CONTEXT);
        signed.put(sha256.digest(header)).put(sha256.digest(recipients)).put(sha256.digest(body));
        return signed.array();
    }

    static byte[] keyInfo(byte[] header) {
        return ByteBuffer.allocate(KEY_INFO_PREFIX.length + 32).put(KEY_INFO_PREFIX).put(sha256().digest(header)).array();
    }

    static byte[] accountAad(long accountId) {
        return ByteBuffer.allocate(8).putLong(accountId).array();
    }

    private static byte[] aes(int mode, byte[] key, byte[] nonce, byte[] aad, byte[] input) {
        try {
            return AesGcm.cipher(mode, key, nonce, aad).doFinal(input);
        } catch (AEADBadTagException e) {
            throw new OpenException(Reason.TAMPERED, "the body does not decrypt: it was altered", e);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("AES-GCM failed", e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }
}
