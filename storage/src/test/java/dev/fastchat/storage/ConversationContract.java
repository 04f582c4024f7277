package dev.fastchat.storage;

import static dev.fastchat.storage.StorageContract.await;
import static dev.fastchat.storage.StorageContract.bytes;
import static dev.fastchat.storage.StorageContract.newAccount;
import static dev.fastchat.storage.StorageContract.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fastchat.protocol.ConversationId;
import dev.fastchat.storage.ConversationRefusedException.Reason;
import dev.fastchat.storage.jdbc.Database;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Messages, read cursors and groups: the behaviour every storage backend must have. */
abstract class ConversationContract {
    private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
    /** A member limit no test reaches but the one about it. */
    private static final int MAX = 1024;

    protected abstract Database db();

    private Account account(String prefix) throws Exception {
        return await(db().accounts().create(newAccount(uniqueName(prefix))));
    }

    private Appended send(ConversationId conversation, Account sender, Set<Long> recipients) throws Exception {
        return await(db().messages().append(new NewMessage(conversation, sender.id(), UUID.randomUUID().toString(), bytes(40),
                recipients, NOW)));
    }

    static void assertRefused(ThrowingCallable call, Reason reason) {
        assertThatThrownBy(call).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOfSatisfying(ConversationRefusedException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    @Test
    void directMessagesGetConsecutiveSeqsAndTheFirstOneCreatesTheConversation() throws Exception {
        Account alice = account("alice");
        Account bob = account("bob");
        ConversationId dm = ConversationId.direct(alice.id(), bob.id());
        Set<Long> both = Set.of(alice.id(), bob.id());
        Appended first = send(dm, alice, both);
        Appended second = send(dm, bob, both);
        assertThat(first.message().seq()).isEqualTo(1);
        assertThat(second.message().seq()).isEqualTo(2);
        assertThat(first.members()).containsExactlyInAnyOrderElementsOf(both);
        assertThat(second.message().senderName()).isEqualTo(bob.name());
        assertThat(second.message().groupName()).isEmpty();
    }

    @Test
    void aRetryWithTheSameIdAndBytesReturnsTheFirstResultAndOtherBytesAreRefused() throws Exception {
        Account alice = account("alice");
        Account bob = account("bob");
        ConversationId dm = ConversationId.direct(alice.id(), bob.id());
        byte[] sealed = bytes(64);
        NewMessage message = new NewMessage(dm, alice.id(), "retry-1", sealed, Set.of(alice.id(), bob.id()), NOW);
        Appended first = await(db().messages().append(message));
        Appended again = await(db().messages().append(message));
        assertThat(again.duplicate()).isTrue();
        assertThat(again.message().seq()).isEqualTo(first.message().seq());
        assertThat(db().messages().history(dm.value(), bob.id(), 0, 10)).hasSize(1);
        NewMessage changed = new NewMessage(dm, alice.id(), "retry-1", bytes(64), Set.of(alice.id(), bob.id()), NOW);
        assertRefused(() -> await(db().messages().append(changed)), Reason.MESSAGE_ID_REUSED);
    }

    @Test
    void sendsThatBreakARuleStoreNothing() throws Exception {
        Account alice = account("alice");
        Account bob = account("bob");
        Account mallory = account("mallory");
        ConversationId dm = ConversationId.direct(alice.id(), bob.id());
        assertRefused(() -> send(dm, mallory, Set.of(alice.id(), bob.id())), Reason.NOT_A_MEMBER);
        assertRefused(() -> send(ConversationId.direct(alice.id(), 987_654_321L), alice, Set.of(alice.id(), 987_654_321L)),
                Reason.UNKNOWN_USER);
        assertRefused(() -> send(dm, alice, Set.of(alice.id(), bob.id(), mallory.id())), Reason.MEMBERS_CHANGED);
        assertRefused(() -> send(ConversationId.group(987_654_321L), alice, Set.of(alice.id())), Reason.UNKNOWN_GROUP);
        assertThat(db().messages().summaries(alice.id())).isEmpty();
        assertThat(send(dm, alice, Set.of(alice.id(), bob.id())).message().seq()).isEqualTo(1);
    }

    @Test
    void historyPagesBackwardsAndSyncAndUnreadFollowTheCursors() throws Exception {
        Account alice = account("alice");
        Account bob = account("bob");
        ConversationId dm = ConversationId.direct(alice.id(), bob.id());
        Set<Long> both = Set.of(alice.id(), bob.id());
        for (int i = 0; i < 5; i++) {
            send(dm, alice, both);
        }
        send(dm, bob, both);
        List<StoredMessage> newest = db().messages().history(dm.value(), bob.id(), 0, 4);
        assertThat(newest).extracting(StoredMessage::seq).containsExactly(6L, 5L, 4L, 3L);
        assertThat(db().messages().history(dm.value(), bob.id(), 3, 4)).extracting(StoredMessage::seq).containsExactly(2L, 1L);

        ConversationSummary atBob = db().messages().summaries(bob.id()).getFirst();
        assertThat(atBob.unread()).isEqualTo(5); // his own message is not unread
        assertThat(atBob.name()).isEqualTo(alice.name());
        assertThat(atBob.direct()).isTrue();
        assertThat(db().messages().since(bob.id(), Map.of(), 100)).extracting(StoredMessage::seq)
                .containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        assertThat(db().messages().since(bob.id(), Map.of(dm.value(), 4L), 100)).extracting(StoredMessage::seq)
                .containsExactly(5L, 6L);
        assertThat(db().messages().since(bob.id(), Map.of(), 2)).hasSize(2);

        assertThat(await(db().messages().markRead(dm.value(), bob.id(), 3))).isEqualTo(3);
        assertThat(await(db().messages().markRead(dm.value(), bob.id(), 2))).isEqualTo(3); // never back
        assertThat(await(db().messages().markRead(dm.value(), bob.id(), 99))).isEqualTo(6); // capped
        assertThat(db().messages().summaries(bob.id()).getFirst().unread()).isZero();
        assertThat(db().messages().since(bob.id(), Map.of(), 100)).isEmpty();
        assertThat(db().messages().contactsOf(bob.id())).containsExactly(alice.id());
        assertRefused(() -> await(db().messages().markRead(dm.value(), account("eve").id(), 1)), Reason.NOT_A_MEMBER);
    }

    @Test
    void groupNamesShareTheNamespaceWithUsers() throws Exception {
        Account alice = account("alice");
        assertThatThrownBy(() -> await(db().groups().create(alice.name(), alice.id(), NOW))).cause()
                .isInstanceOf(NameTakenException.class);
        String team = uniqueName("team");
        await(db().groups().create(team, alice.id(), NOW));
        assertThatThrownBy(() -> await(db().accounts().create(newAccount(team)))).cause().isInstanceOf(NameTakenException.class);
        assertThat(db().accounts().directory("", 100_000)).extracting(DirectoryEntry::name).contains(alice.name(), team);
        assertThat(db().accounts().directory(team, 100_000)).extracting(DirectoryEntry::name).doesNotContain(team);
    }

    /** Holds the writer until the returned latch is counted down, so that what is submitted meanwhile is one batch. */
    private java.util.concurrent.CountDownLatch holdWriter() throws Exception {
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        db().writer().submit("hold", c -> {
            held.countDown();
            try {
                release.await(20, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        held.await(20, java.util.concurrent.TimeUnit.SECONDS);
        return release;
    }

    private CompletableFuture<Appended> sendLater(ConversationId conversation, Account sender, String clientMsgId, byte[] sealed,
                                                  Set<Long> recipients) {
        return db().messages().append(new NewMessage(conversation, sender.id(), clientMsgId, sealed, recipients, NOW));
    }

    @Test
    void sendsCommittedInOneBatchGetConsecutiveSeqsAndARetryInsideItIsTheSameMessage() throws Exception {
        Account alice = account("alice");
        Account bob = account("bob");
        ConversationId dm = ConversationId.direct(alice.id(), bob.id());
        Set<Long> both = Set.of(alice.id(), bob.id());
        Account mallory = account("mallory");
        byte[] sealed = bytes(40);
        java.util.concurrent.CountDownLatch release = holdWriter();
        List<CompletableFuture<Appended>> sends = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sends.add(sendLater(dm, i % 2 == 0 ? alice : bob, "m" + i, bytes(40), both));
        }
        CompletableFuture<Appended> first = sendLater(dm, alice, "twice", sealed, both);
        CompletableFuture<Appended> retry = sendLater(dm, alice, "twice", sealed, both);
        CompletableFuture<Appended> reused = sendLater(dm, alice, "twice", bytes(40), both);
        CompletableFuture<Appended> stranger = sendLater(dm, mallory, "m0", bytes(40), both);
        CompletableFuture<Appended> last = sendLater(dm, bob, "last", bytes(40), both);
        release.countDown();

        List<Long> seqs = new ArrayList<>();
        for (CompletableFuture<Appended> send : sends) {
            seqs.add(await(send).message().seq());
        }
        assertThat(seqs).isEqualTo(java.util.stream.LongStream.rangeClosed(1, 20).boxed().toList());
        assertThat(await(first).message().seq()).isEqualTo(21);
        assertThat(await(retry).duplicate()).isTrue();
        assertThat(await(retry).message().seq()).isEqualTo(21);
        assertRefused(() -> await(reused), Reason.MESSAGE_ID_REUSED);
        assertRefused(() -> await(stranger), Reason.NOT_A_MEMBER);
        assertThat(await(last).message().seq()).isEqualTo(22);
        assertThat(db().messages().history(dm.value(), bob.id(), 0, 100)).extracting(StoredMessage::seq)
                .isEqualTo(java.util.stream.LongStream.rangeClosed(1, 22).map(n -> 23 - n).boxed().toList());
        // What a send answers is what a read gives back.
        StoredMessage stored = db().messages().history(dm.value(), bob.id(), 0, 1).getFirst();
        assertThat(stored).usingRecursiveComparison().isEqualTo(await(last).message());
    }

    @Test
    void aRetryOfAMessageAnEarlierBatchStoredAmongNewOnesLeavesTheirSeqsWithoutAGap() throws Exception {
        Account alice = account("alice");
        Account bob = account("bob");
        Account carol = account("carol");
        ConversationId dm = ConversationId.direct(alice.id(), bob.id());
        ConversationId other = ConversationId.direct(alice.id(), carol.id());
        Set<Long> both = Set.of(alice.id(), bob.id());
        byte[] sealed = bytes(40);
        Appended stored = await(sendLater(dm, alice, "sent-before", sealed, both));

        java.util.concurrent.CountDownLatch release = holdWriter();
        CompletableFuture<Appended> before = sendLater(dm, bob, "new-1", bytes(40), both);
        CompletableFuture<Appended> retry = sendLater(dm, alice, "sent-before", sealed, both);
        CompletableFuture<Appended> after = sendLater(dm, alice, "new-2", bytes(40), both);
        CompletableFuture<Appended> elsewhere = sendLater(other, alice, "new-3", bytes(40), Set.of(alice.id(), carol.id()));
        CompletableFuture<Appended> reused = sendLater(dm, alice, "sent-before", bytes(40), both);
        release.countDown();

        assertThat(await(retry).duplicate()).isTrue();
        assertThat(await(retry).message()).usingRecursiveComparison().isEqualTo(stored.message());
        assertThat(await(before).message().seq()).isEqualTo(2);
        assertThat(await(after).message().seq()).isEqualTo(3);
        assertThat(await(elsewhere).message().seq()).isEqualTo(1);
        assertRefused(() -> await(reused), Reason.MESSAGE_ID_REUSED);
        assertThat(db().messages().history(dm.value(), bob.id(), 0, 100)).extracting(StoredMessage::seq).containsExactly(3L, 2L, 1L);
        assertThat(db().messages().history(other.value(), carol.id(), 0, 100)).extracting(StoredMessage::clientMsgId).containsExactly("new-3");
        // The next batch takes the next seq: nothing of the undone attempt stayed in the cache.
        assertThat(await(sendLater(dm, bob, "new-4", bytes(40), both)).message().seq()).isEqualTo(4);
    }

    @Test
    void aRetryOfAStoredMessageGetsItsFirstResultEvenWhenTheRulesWouldRefuseItNow() throws Exception {
        Account alice = account("alice");
        Account bob = account("bob");
        ConversationId dm = ConversationId.direct(alice.id(), bob.id());
        Set<Long> both = Set.of(alice.id(), bob.id());
        byte[] sealed = bytes(40);
        Appended first = await(sendLater(dm, alice, "before-the-block", sealed, both));
        await(db().accounts().setBlocked(bob.id(), alice.id(), true, NOW));

        Appended retry = await(sendLater(dm, alice, "before-the-block", sealed, both));

        assertThat(retry.duplicate()).isTrue();
        assertThat(retry.message()).usingRecursiveComparison().isEqualTo(first.message());
        assertRefused(() -> await(sendLater(dm, alice, "after-the-block", bytes(40), both)), Reason.BLOCKED);
    }

    @Test
    void aBatchRolledBackAndRunAgainLeavesNoSeqBehind() throws Exception {
        Account alice = account("alice");
        Account bob = account("bob");
        ConversationId dm = ConversationId.direct(alice.id(), bob.id());
        Set<Long> both = Set.of(alice.id(), bob.id());
        send(dm, alice, both);
        java.util.concurrent.CountDownLatch release = holdWriter();
        CompletableFuture<Appended> before = sendLater(dm, alice, "before", bytes(40), both);
        CompletableFuture<Object> refused = db().writer().submit("refuse", c -> {
            throw new IllegalStateException("refused on purpose");
        });
        CompletableFuture<Appended> after = sendLater(dm, bob, "after", bytes(40), both);
        release.countDown();

        assertThatThrownBy(() -> await(refused)).hasRootCauseMessage("refused on purpose");
        assertThat(await(before).message().seq()).isEqualTo(2);
        assertThat(await(after).message().seq()).isEqualTo(3);
        assertThat(send(dm, alice, both).message().seq()).isEqualTo(4);
        assertThat(db().messages().history(dm.value(), alice.id(), 0, 10)).extracting(StoredMessage::seq).containsExactly(4L, 3L, 2L, 1L);
    }

    @Test
    void aBlockIsSeenByTheNextSendAndAnUnblockToo() throws Exception {
        Account alice = account("alice");
        Account bob = account("bob");
        ConversationId dm = ConversationId.direct(alice.id(), bob.id());
        Set<Long> both = Set.of(alice.id(), bob.id());
        send(dm, alice, both);
        await(db().accounts().setBlocked(bob.id(), alice.id(), true, NOW));
        assertRefused(() -> send(dm, alice, both), Reason.BLOCKED);
        assertThat(send(dm, bob, both).message().seq()).isEqualTo(2);
        await(db().accounts().setBlocked(bob.id(), alice.id(), false, NOW));
        assertThat(send(dm, alice, both).message().seq()).isEqualTo(3);

        Account carol = account("carol");
        await(db().accounts().setBlocked(carol.id(), alice.id(), true, NOW));
        assertRefused(() -> send(ConversationId.direct(alice.id(), carol.id()), alice, Set.of(alice.id(), carol.id())), Reason.BLOCKED);
        assertThat(db().messages().summaries(carol.id())).isEmpty();
    }

    @Test
    void onlyAdminsChangeMembersAndRemovedMembersSeeNothingNew() throws Exception {
        Account alice = account("alice");
        Account bob = account("bob");
        Account carol = account("carol");
        GroupMembership created = await(db().groups().create(uniqueName("team"), alice.id(), NOW));
        Group group = created.group();
        assertThat(created.role()).isEqualTo(MemberRole.ADMIN);
        await(db().groups().add(group.id(), alice.id(), bob.id(), MAX, NOW));
        assertRefused(() -> await(db().groups().add(group.id(), bob.id(), carol.id(), MAX, NOW)), Reason.NOT_ADMIN);
        assertRefused(() -> await(db().groups().add(group.id(), carol.id(), carol.id(), MAX, NOW)), Reason.NOT_A_MEMBER);
        MembershipChange again = await(db().groups().add(group.id(), alice.id(), bob.id(), MAX, NOW));
        assertThat(again.changed()).isFalse();
        await(db().groups().add(group.id(), alice.id(), carol.id(), MAX, NOW));

        ConversationId conversation = group.conversation();
        send(conversation, alice, Set.of(alice.id(), bob.id(), carol.id()));
        assertRefused(() -> send(conversation, alice, Set.of(alice.id(), bob.id())), Reason.MEMBERS_CHANGED);
        MembershipChange removed = await(db().groups().remove(group.id(), alice.id(), carol.id()));
        assertThat(removed.members()).containsExactlyInAnyOrder(alice.id(), bob.id());
        send(conversation, alice, Set.of(alice.id(), bob.id()));
        assertRefused(() -> send(conversation, carol, Set.of(alice.id(), bob.id(), carol.id())), Reason.NOT_A_MEMBER);

        assertThat(db().messages().history(conversation.value(), carol.id(), 0, 10)).extracting(StoredMessage::seq).containsExactly(1L);
        assertThat(db().messages().history(conversation.value(), bob.id(), 0, 10)).extracting(StoredMessage::seq).containsExactly(2L, 1L);
        assertThat(db().messages().since(carol.id(), Map.of(), 10)).extracting(StoredMessage::seq).containsExactly(1L);
        assertThat(db().messages().history(conversation.value(), bob.id(), 0, 10).getFirst().groupName()).isEqualTo(group.name());
        assertThat(db().groups().groupsOf(carol.id())).isEmpty();
        assertThat(db().groups().groupsOf(bob.id())).extracting(m -> m.group().name()).containsExactly(group.name());

        // A member added later sees only what comes after.
        Account dave = account("dave");
        await(db().groups().add(group.id(), alice.id(), dave.id(), MAX, NOW));
        assertThat(db().messages().history(conversation.value(), dave.id(), 0, 10)).isEmpty();
        assertThat(db().messages().summaries(dave.id()).getFirst().unread()).isZero();
    }

    @Test
    void whenTheLastAdminLeavesTheOldestMemberBecomesAdmin() throws Exception {
        Account alice = account("alice");
        Account bob = account("bob");
        Account carol = account("carol");
        Group group = await(db().groups().create(uniqueName("team"), alice.id(), NOW)).group();
        await(db().groups().add(group.id(), alice.id(), bob.id(), MAX, NOW.plusSeconds(1)));
        await(db().groups().add(group.id(), alice.id(), carol.id(), MAX, NOW.plusSeconds(2)));
        MembershipChange left = await(db().groups().leave(group.id(), alice.id()));
        assertThat(left.promoted()).isEqualTo(bob.id());
        assertThat(db().groups().members(group.id())).extracting(GroupMember::name, GroupMember::role)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(bob.name(), MemberRole.ADMIN),
                        org.assertj.core.groups.Tuple.tuple(carol.name(), MemberRole.MEMBER));
        await(db().groups().promote(group.id(), bob.id(), carol.id()));
        assertThat(await(db().groups().leave(group.id(), bob.id())).promoted()).isZero();
        assertRefused(() -> await(db().groups().leave(group.id(), bob.id())), Reason.NOT_A_MEMBER);
    }

    @Test
    void groupsOf256MembersWork() throws Exception {
        Account admin = account("admin");
        Group group = await(db().groups().create(uniqueName("big"), admin.id(), NOW)).group();
        Set<Long> all = new HashSet<>(Set.of(admin.id()));
        List<CompletableFuture<MembershipChange>> adds = new ArrayList<>();
        for (int i = 0; i < 255; i++) {
            Account member = account("m");
            all.add(member.id());
            adds.add(db().groups().add(group.id(), admin.id(), member.id(), MAX, NOW));
        }
        for (CompletableFuture<MembershipChange> add : adds) {
            await(add);
        }
        assertThat(db().groups().members(group.id())).hasSize(256);
        Appended appended = send(group.conversation(), admin, all);
        assertThat(appended.members()).hasSize(256);
        assertThat(db().groups().membership(group.id(), admin.id()).orElseThrow().memberCount()).isEqualTo(256);
    }

    @Test
    void concurrentAddsNeverTakeAGroupOverItsLimit() throws Exception {
        Account admin = account("admin");
        Group group = await(db().groups().create(uniqueName("small"), admin.id(), NOW)).group();
        List<Account> candidates = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            candidates.add(account("m"));
        }
        List<CompletableFuture<MembershipChange>> adds = new ArrayList<>();
        for (Account candidate : candidates) { // submitted without waiting: they share write batches
            adds.add(db().groups().add(group.id(), admin.id(), candidate.id(), 5, NOW));
        }
        int refused = 0;
        for (CompletableFuture<MembershipChange> add : adds) {
            try {
                await(add);
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(e.getCause()).isInstanceOfSatisfying(ConversationRefusedException.class,
                        refusal -> assertThat(refusal.reason()).isEqualTo(Reason.GROUP_FULL));
                refused++;
            }
        }
        assertThat(refused).isEqualTo(4);
        assertThat(db().groups().members(group.id())).hasSize(5);
        Account admin2 = account("again");
        assertRefused(() -> await(db().groups().add(group.id(), admin.id(), admin2.id(), 5, NOW)), Reason.GROUP_FULL);
    }
}
