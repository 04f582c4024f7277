package dev.fastchat.client.internal;

import com.google.protobuf.ByteString;
import dev.fastchat.client.ChatException;
import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.crypto.MembershipChain;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.MemberList;
import dev.fastchat.protocol.v1.MembershipAction;
import dev.fastchat.protocol.v1.MembershipStatement;
import dev.fastchat.protocol.v1.SignedStatement;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Properties;

/**
 * This user's view of their groups' membership chains: verifies a chain the server serves (from its first
 * statement, {@link MembershipChain#verify}), remembers how far each group's chain was seen (owner-only,
 * beside the keys), so that a server that later serves a shorter chain, another one, or none is caught in any
 * later session, and signs the statements of this user's own changes.
 */
public final class GroupChains {
    private final Path file;
    private final Properties seen;

    public GroupChains(Path file) {
        this.file = file;
        this.seen = LocalKeyStore.read(file, "how far the groups' membership chains were seen").orElseGet(Properties::new);
    }

    /**
     * Verifies the chain that comes with {@code list} and checks it against what this device saw of the group.
     *
     * @throws ChatException {@code UNTRUSTED_SERVER} if the chain does not verify, or is not the continuation
     *     of the one seen before (truncated, replaced, or gone)
     */
    public synchronized MembershipChain.Roster verify(MemberList list, MembershipChain.Keys keys) {
        String group = list.getGroup().getName();
        MembershipChain.Roster roster;
        try {
            roster = MembershipChain.verify(list.getChainList(), keys);
        } catch (MembershipChain.InvalidChainException e) {
            throw new ChatException(ErrorCode.UNTRUSTED_SERVER, "the membership of #" + group + " that the server serves does not"
                    + " hold (" + e.getMessage() + "): nothing is sealed to it", e);
        }
        String remembered = seen.getProperty(group);
        if (remembered != null) {
            String[] parts = remembered.split(",");
            byte[] chainId = Base64.getDecoder().decode(parts[0]);
            int length = Integer.parseInt(parts[1]);
            byte[] head = Base64.getDecoder().decode(parts[2]);
            if (!MessageDigest.isEqual(chainId, roster.chainId()) || list.getChainCount() < length
                    || !MessageDigest.isEqual(head, MembershipChain.hash(list.getChain(length - 1)))) {
                throw new ChatException(ErrorCode.UNTRUSTED_SERVER, "the server serves another membership of #" + group
                        + " than this device saw before (" + length + " statements, now " + list.getChainCount()
                        + "): statements were dropped or the group's history replaced; nothing is sealed to it");
            }
        }
        if (remembered == null || roster.length() > Integer.parseInt(remembered.split(",")[1])) {
            seen.setProperty(group, Base64.getEncoder().encodeToString(roster.chainId()) + "," + roster.length() + ","
                    + Base64.getEncoder().encodeToString(roster.head()));
            save();
        }
        return roster;
    }

    /** A new chain's first statement: {@code creator} makes group {@code name}. */
    public static SignedStatement create(String name, long creatorId, int keyId, IdentityKeyPair identity, long atMs, SecureRandom random) {
        byte[] chainId = new byte[MembershipChain.CHAIN_ID_BYTES];
        random.nextBytes(chainId);
        return MembershipChain.sign(MembershipStatement.newBuilder().setChainId(ByteString.copyFrom(chainId)).setIndex(0)
                .setAction(MembershipAction.CREATE).setActorId(creatorId).setSubjectId(creatorId).setGroupName(name)
                .setAtMs(atMs).setSignerKeyId(keyId).build(), identity);
    }

    /** The next statement of a chain that stands at {@code length} statements ending in {@code head}. */
    public static SignedStatement next(ByteString chainId, long length, ByteString head, MembershipAction action, long actorId,
                                       long subjectId, int keyId, IdentityKeyPair identity, long atMs) {
        return MembershipChain.sign(MembershipStatement.newBuilder().setChainId(chainId).setIndex(length).setPrevious(head)
                .setAction(action).setActorId(actorId).setSubjectId(subjectId).setAtMs(atMs).setSignerKeyId(keyId).build(), identity);
    }

    private void save() {
        LocalKeyStore.writePrivate(file, seen, "FastChat: how far this device saw each group's membership chain");
    }
}
