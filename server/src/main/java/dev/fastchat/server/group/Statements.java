package dev.fastchat.server.group;

import dev.fastchat.crypto.CryptoException;
import dev.fastchat.crypto.MembershipChain;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.MembershipAction;
import dev.fastchat.protocol.v1.MembershipStatement;
import dev.fastchat.protocol.v1.SignedStatement;
import dev.fastchat.server.session.RequestRefusedException;
import dev.fastchat.storage.ChainLink;
import dev.fastchat.storage.IdentityKeys;

/**
 * What the server checks of a signed membership statement before it stores it with the change: that it states
 * this very change (action, actor, subject; for a creation, the group's name and the chain's start) and is
 * signed with the actor's current identity key. That it follows the last statement of its chain is checked
 * where it is stored, in the change's transaction.
 */
final class Statements {
    /** Most bytes of one statement (a few dozen are needed). */
    static final int MAX_STATEMENT_BYTES = 1024;

    private Statements() {}

    /**
     * @param signed the statement the request carries
     * @param actorKeys the actor's current identity keys
     * @param groupName the group's name (checked for CREATE)
     */
    static ChainLink check(SignedStatement signed, MembershipAction action, long actorId, IdentityKeys actorKeys, long subjectId,
                           String groupName) {
        if (signed.getStatement().isEmpty()) {
            throw refused("membership changes carry a statement signed by whoever makes them (update the client)");
        }
        if (signed.getSerializedSize() > MAX_STATEMENT_BYTES) {
            throw new RequestRefusedException(ErrorCode.TOO_LARGE, "a membership statement takes at most " + MAX_STATEMENT_BYTES + " bytes");
        }
        MembershipStatement statement;
        try {
            statement = MembershipChain.statement(signed);
        } catch (CryptoException e) {
            throw refused("the membership statement is malformed");
        }
        if (statement.getAction() != action || statement.getActorId() != actorId || statement.getSubjectId() != subjectId) {
            throw refused("the membership statement does not state this change (" + action + " of account " + subjectId
                    + " by account " + actorId + ")");
        }
        if (statement.getSignerKeyId() != actorKeys.keyId() || !MembershipChain.signatureValid(signed, actorKeys.ed25519Public())) {
            throw refused("the membership statement is not signed with your current identity key");
        }
        if (action == MembershipAction.CREATE && (statement.getIndex() != 0 || !statement.getPrevious().isEmpty()
                || statement.getChainId().size() != MembershipChain.CHAIN_ID_BYTES || !statement.getGroupName().equals(groupName))) {
            throw refused("a group's first statement starts its chain (index 0, a " + MembershipChain.CHAIN_ID_BYTES
                    + "-byte chain id) and names the group");
        }
        return new ChainLink(statement.getChainId().toByteArray(), statement.getIndex(), statement.getPrevious().toByteArray(),
                signed.toByteArray());
    }

    private static RequestRefusedException refused(String reason) {
        return new RequestRefusedException(ErrorCode.BAD_REQUEST, reason);
    }
}
