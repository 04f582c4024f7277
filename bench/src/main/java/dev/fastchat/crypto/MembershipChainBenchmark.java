package dev.fastchat.crypto;

import com.google.protobuf.ByteString;
import dev.fastchat.protocol.v1.MembershipAction;
import dev.fastchat.protocol.v1.MembershipStatement;
import dev.fastchat.protocol.v1.SignedStatement;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Verifying a group's membership chain from its start, as a device new to the group does: {@code statements}
 * statements (the creation, then invitations and acceptances: about half as many members), each an Ed25519
 * signature check and a SHA-256.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class MembershipChainBenchmark {
    @Param({"1000"})
    int statements;

    private List<SignedStatement> chain;
    private MembershipChain.Keys keys;

    @Setup
    public void setUp() {
        SecureRandom random = new SecureRandom();
        Map<Long, byte[]> signing = new HashMap<>();
        Map<Long, IdentityKeyPair> people = new HashMap<>();
        byte[] chainId = new byte[MembershipChain.CHAIN_ID_BYTES];
        random.nextBytes(chainId);
        chain = new ArrayList<>();
        for (int index = 0; index < statements; index++) {
            long actor = index == 0 || index % 2 == 1 ? 1 : index / 2 + 1; // the creator invites; each invitee accepts
            long subject = index == 0 ? 1 : index % 2 == 1 ? (index + 1) / 2 + 1 : actor;
            MembershipAction action = index == 0 ? MembershipAction.CREATE : index % 2 == 1 ? MembershipAction.INVITE : MembershipAction.ACCEPT;
            IdentityKeyPair keysOfActor = people.computeIfAbsent(actor, id -> IdentityKeyPair.generate(random));
            signing.put(actor, keysOfActor.publicIdentity().ed25519());
            byte[] previous = chain.isEmpty() ? new byte[0] : MembershipChain.hash(chain.getLast());
            chain.add(MembershipChain.sign(MembershipStatement.newBuilder().setChainId(ByteString.copyFrom(chainId)).setIndex(index)
                    .setPrevious(ByteString.copyFrom(previous)).setAction(action).setActorId(actor).setSubjectId(subject)
                    .setGroupName(index == 0 ? "bench" : "").setSignerKeyId(1).build(), keysOfActor));
        }
        keys = (id, keyId) -> signing.get(id);
    }

    @Benchmark
    public MembershipChain.Roster verify() {
        return MembershipChain.verify(chain, keys);
    }
}
