package dev.fastchat.crypto;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.fastchat.protocol.v1.MembershipAction;
import dev.fastchat.protocol.v1.MembershipStatement;
import dev.fastchat.protocol.v1.SignedStatement;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * A group's membership as a hash chain of signed statements (in the spirit of Matrix's signed room state):
 * the creator's CREATE starts it; every later statement is signed by the member who acted and names the
 * SHA-256 of the one before. {@link #verify} replays the chain from its start under the group's rules and
 * yields the roster it proves; a statement that is forged, reordered, dropped from the middle, or that
 * breaks a rule (a non-admin adding someone, say) makes it fail, naming the statement.
 *
 * <p>Rules: CREATE (index 0) makes its actor the only member and admin. INVITE and REMOVE and PROMOTE need an
 * admin actor; INVITE a subject neither member nor invited; REMOVE and PROMOTE a member. ACCEPT and DECLINE are the invited subject's own; LEAVE a member's own. There is no implicit
 * promotion: a last admin who leaves promotes someone first, by statement.
 */
public final class MembershipChain {
    private static final byte[] CONTEXT = "fastchat membership v1".getBytes(StandardCharsets.US_ASCII);
    /** The length of a chain id. */
    public static final int CHAIN_ID_BYTES = 16;

    private MembershipChain() {}

    /** A statement of the chain could not be accepted. */
    public static final class InvalidChainException extends CryptoException {
        private final long index;

        InvalidChainException(long index, String message) {
            super("membership statement #" + index + ": " + message);
            this.index = index;
        }

        /** The index of the statement that failed. */
        public long index() {
            return index;
        }
    }

    /** Finds the Ed25519 public key an account signed with under a key id; null if unknown. */
    @FunctionalInterface
    public interface Keys {
        byte[] signingKey(long accountId, int keyId);
    }

    /**
     * What a verified chain proves.
     *
     * @param members the members, in the order they joined, with whether each is an admin
     * @param invited the users invited and not yet answered
     */
    public record Roster(byte[] chainId, long length, byte[] head, String groupName, Map<Long, Boolean> members, Set<Long> invited) {
        /** Whether {@code accountId} is a member. */
        public boolean isMember(long accountId) {
            return members.containsKey(accountId);
        }

        /** Whether {@code accountId} is an admin. */
        public boolean isAdmin(long accountId) {
            return Boolean.TRUE.equals(members.get(accountId));
        }
    }

    /** Signs {@code statement} with the actor's identity. */
    public static SignedStatement sign(MembershipStatement statement, IdentityKeyPair actor) {
        byte[] bytes = statement.toByteArray();
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, actor.signingKey());
        signer.update(CONTEXT, 0, CONTEXT.length);
        signer.update(bytes, 0, bytes.length);
        return SignedStatement.newBuilder().setStatement(ByteString.copyFrom(bytes))
                .setSignature(ByteString.copyFrom(signer.generateSignature())).build();
    }

    /** The SHA-256 of a signed statement's bytes: what the next statement names as previous. */
    public static byte[] hash(SignedStatement signed) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(signed.toByteArray());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }

    /** The statement inside {@code signed}, unchecked. */
    public static MembershipStatement statement(SignedStatement signed) {
        try {
            return MembershipStatement.parseFrom(signed.getStatement());
        } catch (InvalidProtocolBufferException e) {
            throw new CryptoException("not a membership statement", e);
        }
    }

    /** Whether {@code signed} carries a valid signature of its actor under {@code ed25519Public}. */
    public static boolean signatureValid(SignedStatement signed, byte[] ed25519Public) {
        if (ed25519Public == null || ed25519Public.length != 32 || signed.getSignature().size() != 64) {
            return false;
        }
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, new Ed25519PublicKeyParameters(ed25519Public));
        byte[] bytes = signed.getStatement().toByteArray();
        verifier.update(CONTEXT, 0, CONTEXT.length);
        verifier.update(bytes, 0, bytes.length);
        return verifier.verifySignature(signed.getSignature().toByteArray());
    }

    /**
     * Replays {@code chain} from its first statement.
     *
     * @throws InvalidChainException at the first statement that does not hold
     */
    public static Roster verify(List<SignedStatement> chain, Keys keys) {
        if (chain.isEmpty()) {
            throw new InvalidChainException(0, "the group has no membership statements");
        }
        byte[] chainId = null;
        byte[] previous = new byte[0];
        String name = "";
        Map<Long, Boolean> members = new LinkedHashMap<>();
        Set<Long> invited = new LinkedHashSet<>();
        for (int i = 0; i < chain.size(); i++) {
            SignedStatement signed = chain.get(i);
            MembershipStatement s;
            try {
                s = MembershipStatement.parseFrom(signed.getStatement());
            } catch (InvalidProtocolBufferException e) {
                throw new InvalidChainException(i, "malformed");
            }
            if (s.getIndex() != i) {
                throw new InvalidChainException(i, "carries index " + s.getIndex() + " (statements reordered or dropped)");
            }
            if (!MessageDigest.isEqual(previous, s.getPrevious().toByteArray())) {
                throw new InvalidChainException(i, "does not follow the statement before it (reordered, dropped or altered)");
            }
            if (i == 0) {
                if (s.getAction() != MembershipAction.CREATE || s.getChainId().size() != CHAIN_ID_BYTES) {
                    throw new InvalidChainException(i, "the chain does not start with its creation");
                }
                chainId = s.getChainId().toByteArray();
                name = s.getGroupName();
            } else if (!MessageDigest.isEqual(chainId, s.getChainId().toByteArray())) {
                throw new InvalidChainException(i, "belongs to another group's chain");
            }
            if (!signatureValid(signed, keys.signingKey(s.getActorId(), s.getSignerKeyId()))) {
                throw new InvalidChainException(i, "the signature is not account " + s.getActorId() + "'s");
            }
            apply(i, s, members, invited);
            previous = hash(signed);
        }
        return new Roster(chainId, chain.size(), previous, name, Collections.unmodifiableMap(members), Collections.unmodifiableSet(invited));
    }

    private static void apply(long i, MembershipStatement s, Map<Long, Boolean> members, Set<Long> invited) {
        long actor = s.getActorId();
        long subject = s.getSubjectId();
        boolean admin = Boolean.TRUE.equals(members.get(actor));
        switch (s.getAction()) {
            case CREATE -> {
                if (i != 0 || subject != actor) {
                    throw new InvalidChainException(i, "a creation after the start");
                }
                members.put(actor, true);
            }
            case INVITE -> {
                require(i, admin, "account " + actor + " invites without being an admin");
                require(i, !members.containsKey(subject) && !invited.contains(subject), "account " + subject + " is a member or invited already");
                invited.add(subject);
            }
            case ACCEPT -> {
                require(i, subject == actor && invited.remove(subject), "account " + actor + " joins without an invitation");
                members.put(subject, false);
            }
            case DECLINE -> require(i, subject == actor && invited.remove(subject), "account " + actor + " declines without an invitation");
            case REMOVE -> {
                require(i, admin, "account " + actor + " removes without being an admin");
                require(i, members.remove(subject) != null, "account " + subject + " is neither member nor invited");
            }
            case PROMOTE -> {
                require(i, admin, "account " + actor + " promotes without being an admin");
                require(i, members.containsKey(subject), "account " + subject + " is not a member");
                members.put(subject, true);
            }
            case LEAVE -> require(i, subject == actor && members.remove(actor) != null, "account " + actor + " leaves without being a member");
            default -> throw new InvalidChainException(i, "unknown action " + s.getAction());
        }
    }

    private static void require(long i, boolean condition, String broken) {
        if (!condition) {
            throw new InvalidChainException(i, broken);
        }
    }
}
