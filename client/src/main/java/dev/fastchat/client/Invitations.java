package dev.fastchat.client;

import dev.fastchat.client.internal.Messenger;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ListInvitations;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Invitations to groups. Being added to a group ({@link Groups#add}) is an invitation: until the
 * user accepts it, nothing of the group reaches them and messages are not sealed to them. The listener hears
 * of a new one as a {@link MembershipEvent} "invited" about this user. Got from
 * {@link ChatClient#invitations()}; needs a log-in. Answers are signed statements of the group's membership chain.
 */
public final class Invitations {
    private final Function<Envelope.Builder, CompletableFuture<Envelope>> request;
    /** Answers an invitation with a signed statement (accept or decline), answered by the server. */
    private final java.util.function.BiFunction<String, Boolean, CompletableFuture<Envelope>> answer;

    Invitations(Function<Envelope.Builder, CompletableFuture<Envelope>> request,
                java.util.function.BiFunction<String, Boolean, CompletableFuture<Envelope>> answer) {
        this.request = request;
        this.answer = answer;
    }

    /** This user's open invitations, oldest first. */
    public CompletableFuture<List<GroupInvitation>> list() {
        return request.apply(Envelope.newBuilder().setListInvitations(ListInvitations.getDefaultInstance()))
                .thenApply(response -> response.getInvitationList().getInvitationsList().stream()
                        .map(i -> new GroupInvitation(Messenger.group(i.getGroup()), i.getInvitedBy(), Instant.ofEpochMilli(i.getCreatedAtMs())))
                        .toList());
    }

    /**
     * Joins the group: this user sees its messages from now on. Fails with {@code NOT_A_MEMBER} without an
     * invitation, {@code TOO_LARGE} when the group is full.
     */
    public CompletableFuture<ChatGroup> accept(String group) {
        return answer.apply(group, true).thenApply(response -> Messenger.group(response.getGroupInfo()));
    }

    /** Declines: the invitation is gone and the group's members are told. */
    public CompletableFuture<Void> decline(String group) {
        return answer.apply(group, false).thenApply(response -> null);
    }
}
