package dev.fastchat.storage;

import static dev.fastchat.storage.StorageContract.await;
import static dev.fastchat.storage.StorageContract.bytes;
import static dev.fastchat.storage.StorageContract.newAccount;
import static dev.fastchat.storage.StorageContract.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fastchat.protocol.ConversationId;
import dev.fastchat.storage.ConversationRefusedException.Reason;
import dev.fastchat.storage.jdbc.Database;
import dev.fastchat.storage.jdbc.DatabaseSettings;
import dev.fastchat.testkit.PostgresExtension;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two nodes on one PostgreSQL database, as a cluster runs: each node's writer keeps seqs, members and blocks in
 * memory, and must still see what the other node did.
 */
class SharedPostgresIT {
    private static final Instant NOW = Instant.parse("2026-11-28T10:00:00Z");

    @RegisterExtension
    static final PostgresExtension postgres = new PostgresExtension();
    static Database one;
    static Database two;

    @BeforeAll
    static void open() {
        DatabaseSettings settings = DatabaseSettings.of(postgres.baseUrl()).withSchema(postgres.schema());
        one = Database.open(settings);
        two = Database.open(settings);
    }

    @AfterAll
    static void close() {
        if (one != null) {
            one.close();
        }
        if (two != null) {
            two.close();
        }
    }

    private static Account account(String prefix) throws Exception {
        return await(one.accounts().create(newAccount(uniqueName(prefix))));
    }

    private static CompletableFuture<Appended> send(Database node, ConversationId conversation, Account sender, Set<Long> recipients) {
        return node.messages().append(new NewMessage(conversation, sender.id(), UUID.randomUUID().toString(), bytes(40), recipients, NOW));
    }

    private static void assertRefused(CompletableFuture<?> send, Reason reason) {
        ConversationContract.assertRefused(() -> await(send), reason);
    }

    @Test
    void sendsOnBothNodesToOneConversationGetEverySeqOnce() throws Exception {
        Account alice = account("alice");
        Account bob = account("bob");
        ConversationId dm = ConversationId.direct(alice.id(), bob.id());
        Set<Long> both = Set.of(alice.id(), bob.id());
        await(send(one, dm, alice, both));
        await(send(two, dm, bob, both)); // both nodes now know the conversation
        List<CompletableFuture<Appended>> sends = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            sends.add(send(i % 2 == 0 ? one : two, dm, i % 3 == 0 ? alice : bob, both));
        }
        List<Long> seqs = new ArrayList<>();
        for (CompletableFuture<Appended> sent : sends) {
            seqs.add(await(sent).message().seq());
        }
        assertThat(seqs).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(3, 202).boxed().toList());
        assertThat(await(send(one, dm, alice, both)).message().seq()).isEqualTo(203);
    }

    @Test
    void aMemberRemovedOnOneNodeIsGoneOnTheOther() throws Exception {
        Account alice = account("alice");
        Account bob = account("bob");
        Account carol = account("carol");
        Group group = await(one.groups().create(uniqueName("team"), alice.id(), NOW)).group();
        await(one.groups().add(group.id(), alice.id(), bob.id(), 100, NOW));
        await(one.groups().add(group.id(), alice.id(), carol.id(), 100, NOW));
        ConversationId conversation = group.conversation();
        Set<Long> three = Set.of(alice.id(), bob.id(), carol.id());
        await(send(one, conversation, alice, three)); // node one keeps the three members

        await(two.groups().remove(group.id(), alice.id(), carol.id()));
        assertRefused(send(one, conversation, alice, three), Reason.MEMBERS_CHANGED);
        assertRefused(send(one, conversation, carol, Set.of(alice.id(), bob.id())), Reason.NOT_A_MEMBER);
        Appended sent = await(send(one, conversation, bob, Set.of(alice.id(), bob.id())));
        assertThat(sent.members()).containsExactly(alice.id(), bob.id());
        assertThat(sent.message().seq()).isEqualTo(2); // the seq taken for the refused send was given back

        await(two.groups().add(group.id(), alice.id(), carol.id(), 100, NOW)); // node one still has carol out
        Appended back = await(send(one, conversation, carol, three));
        assertThat(back.members()).containsExactly(alice.id(), bob.id(), carol.id());
        assertThat(back.message().seq()).isEqualTo(3);
    }

    @Test
    void aBlockOnOneNodeHoldsOnTheOther() throws Exception {
        Account alice = account("alice");
        Account bob = account("bob");
        ConversationId dm = ConversationId.direct(alice.id(), bob.id());
        Set<Long> both = Set.of(alice.id(), bob.id());
        await(send(one, dm, alice, both));
        await(two.accounts().setBlocked(bob.id(), alice.id(), true, NOW));
        assertRefused(send(one, dm, alice, both), Reason.BLOCKED);
        await(two.accounts().setBlocked(bob.id(), alice.id(), false, NOW));
        assertThat(await(send(one, dm, alice, both)).message().seq()).isEqualTo(2);
    }
}
