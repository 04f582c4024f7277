package dev.fastchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.fastchat.protocol.v1.MembershipAction;
import dev.fastchat.protocol.v1.MembershipStatement;
import dev.fastchat.protocol.v1.SignedStatement;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MembershipChainTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Map<Long, IdentityKeyPair> people = new HashMap<>();
    private final MembershipChain.Keys keys = (id, keyId) -> keyId == 1 && people.containsKey(id) ? people.get(id).publicIdentity().ed25519() : null;

    MembershipChainTest() {
        for (long id = 1; id <= 4; id++) {
            people.put(id, IdentityKeyPair.generate(RANDOM));
        }
    }

    /** Appends statements to a chain, each signed by its actor. */
    private final class Chain {
        final List<SignedStatement> statements = new ArrayList<>();
        final byte[] chainId = new byte[MembershipChain.CHAIN_ID_BYTES];

        Chain(long creator) {
            RANDOM.nextBytes(chainId);
            add(MembershipAction.CREATE, creator, creator);
        }

        Chain add(MembershipAction action, long actor, long subject) {
            statements.add(MembershipChain.sign(next(action, actor, subject).build(), people.get(actor)));
            return this;
        }

        MembershipStatement.Builder next(MembershipAction action, long actor, long subject) {
            byte[] previous = statements.isEmpty() ? new byte[0] : MembershipChain.hash(statements.getLast());
            return MembershipStatement.newBuilder().setChainId(ByteString.copyFrom(chainId)).setIndex(statements.size())
                    .setPrevious(ByteString.copyFrom(previous)).setAction(action).setActorId(actor).setSubjectId(subject)
                    .setGroupName(statements.isEmpty() ? "team" : "").setSignerKeyId(1);
        }
    }

    private Chain sample() {
        return new Chain(1)
                .add(MembershipAction.INVITE, 1, 2).add(MembershipAction.ACCEPT, 2, 2)
                .add(MembershipAction.INVITE, 1, 3).add(MembershipAction.ACCEPT, 3, 3)
                .add(MembershipAction.PROMOTE, 1, 2)
                .add(MembershipAction.INVITE, 2, 4).add(MembershipAction.DECLINE, 4, 4)
                .add(MembershipAction.REMOVE, 2, 3)
                .add(MembershipAction.LEAVE, 1, 1);
    }

    @Test
    void aChainReplaysToTheRosterItProves() {
        MembershipChain.Roster roster = MembershipChain.verify(sample().statements, keys);
        assertThat(roster.members()).containsExactly(Map.entry(2L, true));
        assertThat(roster.invited()).isEmpty();
        assertThat(roster.groupName()).isEqualTo("team");
        assertThat(roster.length()).isEqualTo(10);
    }

    @Test
    void aForgedReorderedOrDroppedStatementIsNamed() {
        List<SignedStatement> forged = new ArrayList<>(sample().statements);
        // signed by the server (or anyone) instead of the admin it names
        forged.set(3, MembershipChain.sign(MembershipChain.statement(forged.get(3)), IdentityKeyPair.generate(RANDOM)));
        assertFailsAt(forged, 3, "signature");

        List<SignedStatement> reordered = new ArrayList<>(sample().statements);
        reordered.add(4, reordered.remove(3));
        assertFailsAt(reordered, 3, "index");

        List<SignedStatement> dropped = new ArrayList<>(sample().statements);
        dropped.remove(8); // the removal of member 3
        assertFailsAt(dropped, 8, "index");

        List<SignedStatement> altered = new ArrayList<>(sample().statements);
        SignedStatement original = altered.get(5);
        altered.set(5, original.toBuilder().setStatement(MembershipChain.statement(original).toBuilder().setSubjectId(3).build()
                .toByteString()).build());
        assertFailsAt(altered, 5, "signature");
    }

    @Test
    void statementsThatBreakTheRulesAreRefusedEvenWhenProperlySigned() {
        assertFailsAt(new Chain(1).add(MembershipAction.INVITE, 1, 2).add(MembershipAction.ACCEPT, 2, 2)
                .add(MembershipAction.INVITE, 2, 3).statements, 3, "without being an admin");
        assertFailsAt(new Chain(1).add(MembershipAction.ACCEPT, 4, 4).statements, 1, "without an invitation");
        assertFailsAt(new Chain(1).add(MembershipAction.REMOVE, 1, 4).statements, 1, "neither member");
        Chain other = new Chain(1);
        Chain mine = new Chain(1);
        mine.statements.add(MembershipChain.sign(other.next(MembershipAction.INVITE, 1, 2).setIndex(1)
                .setPrevious(ByteString.copyFrom(MembershipChain.hash(mine.statements.getFirst()))).build(), people.get(1L)));
        assertFailsAt(mine.statements, 1, "another group's chain");
        assertThatThrownBy(() -> MembershipChain.verify(List.of(), keys)).hasMessageContaining("no membership statements");
    }

    private void assertFailsAt(List<SignedStatement> chain, long index, String why) {
        assertThatThrownBy(() -> MembershipChain.verify(chain, keys))
                .isInstanceOfSatisfying(MembershipChain.InvalidChainException.class, e -> {
                    assertThat(e.index()).isEqualTo(index);
                    assertThat(e.getMessage()).contains(why);
                });
    }
}
