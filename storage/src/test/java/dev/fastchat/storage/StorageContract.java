package dev.fastchat.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fastchat.storage.jdbc.Database;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The behaviour every storage backend must have. Subclasses supply a freshly migrated database. */
abstract class StorageContract {
    private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");

    protected abstract Database db();

    static NewAccount newAccount(String name) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        byte[] x = new byte[32];
        byte[] ed = new byte[32];
        random.nextBytes(x);
        random.nextBytes(ed);
        return new NewAccount(name, new Credential(bytes(16), bytes(32)), new KdfCost(19456, 2, 1),
                new IdentityKeys(1, x, ed), bytes(93), NOW);
    }

    static byte[] bytes(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    static String uniqueName(String prefix) {
        return prefix + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
    }

    static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(20, TimeUnit.SECONDS);
    }

    @Test
    void createdAccountIsFoundByNameAndIdWithEveryField() throws Exception {
        NewAccount account = newAccount(uniqueName("alice"));
        Account created = await(db().accounts().create(account));
        assertThat(created.id()).isPositive();

        Account byName = db().accounts().findByName(account.name()).orElseThrow();
        Account byId = db().accounts().findById(created.id()).orElseThrow();
        for (Account found : List.of(byName, byId)) {
            assertThat(found.id()).isEqualTo(created.id());
            assertThat(found.name()).isEqualTo(account.name());
            assertThat(found.credential().salt()).isEqualTo(account.credential().salt());
            assertThat(found.credential().hash()).isEqualTo(account.credential().hash());
            assertThat(found.kdf()).isEqualTo(account.kdf());
            assertThat(found.identity().keyId()).isEqualTo(1);
            assertThat(found.identity().x25519Public()).isEqualTo(account.identity().x25519Public());
            assertThat(found.identity().ed25519Public()).isEqualTo(account.identity().ed25519Public());
            assertThat(found.keyBackup()).isEqualTo(account.keyBackup());
            assertThat(found.createdAt()).isEqualTo(NOW);
        }
    }

    @Test
    void unknownAccountsAreEmptyNotNull() {
        assertThat(db().accounts().findByName("nobody-here")).isEmpty();
        assertThat(db().accounts().findById(Long.MAX_VALUE)).isEmpty();
    }

    @Test
    void takenNameIsRefusedAndTheFirstAccountIsUntouched() throws Exception {
        String name = uniqueName("bob");
        Account first = await(db().accounts().create(newAccount(name)));
        assertThatThrownBy(() -> await(db().accounts().create(newAccount(name))))
                .hasCauseInstanceOf(NameTakenException.class);
        assertThat(db().accounts().findByName(name).orElseThrow().credential().hash()).isEqualTo(first.credential().hash());
    }

    @Test
    void concurrentRegistrationsOfOneNameHaveExactlyOneWinner() throws Exception {
        String name = uniqueName("race");
        List<CompletableFuture<Account>> attempts = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            attempts.add(CompletableFuture.supplyAsync(() -> newAccount(name)).thenCompose(db().accounts()::create));
        }
        int won = 0;
        int taken = 0;
        for (CompletableFuture<Account> attempt : attempts) {
            try {
                await(attempt);
                won++;
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(NameTakenException.class);
                taken++;
            }
        }
        assertThat(won).isEqualTo(1);
        assertThat(taken).isEqualTo(19);
    }

    @Test
    void aRefusedWriteDoesNotFailTheOthersInItsBatch() throws Exception {
        String taken = uniqueName("taken");
        await(db().accounts().create(newAccount(taken)));
        List<CompletableFuture<Account>> writes = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String name = i == 25 ? taken : uniqueName("batch" + i + "x");
            names.add(name);
            writes.add(db().accounts().create(newAccount(name)));
        }
        for (int i = 0; i < writes.size(); i++) {
            if (i == 25) {
                int index = i;
                assertThatThrownBy(() -> await(writes.get(index))).hasCauseInstanceOf(NameTakenException.class);
            } else {
                assertThat(await(writes.get(i)).name()).isEqualTo(names.get(i));
                assertThat(db().accounts().findByName(names.get(i))).isPresent();
            }
        }
    }

    @Test
    void hostileStringsAreStoredVerbatim() throws Exception {
        // The server refuses such names; storage must still bind them, never splice them into SQL.
        String name = "x'); DROP TABLE accounts; --";
        await(db().accounts().create(newAccount(name)));
        assertThat(db().accounts().findByName(name)).isPresent();
        assertThat(db().accounts().count()).isPositive();
    }

    @Test
    void manyConcurrentWritesAllCommitInFewerBatches() throws Exception {
        long batchesBefore = db().writer().batchCount();
        List<CompletableFuture<Account>> writes = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            writes.add(db().accounts().create(newAccount(uniqueName("many" + i + "x"))));
        }
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        for (CompletableFuture<Account> write : writes) {
            assertThat(db().accounts().findById(write.join().id())).isPresent();
        }
        assertThat(db().writer().batchCount() - batchesBefore).isLessThan(500);
    }

    @Test
    void sessionsAreFoundUntilTheyExpireOrAreDeleted() throws Exception {
        Account account = await(db().accounts().create(newAccount(uniqueName("sess"))));
        byte[] live = bytes(32);
        byte[] old = bytes(32);
        await(db().sessions().create(new StoredSession(live, account.id(), "laptop", NOW, NOW.plus(Duration.ofDays(30)))));
        await(db().sessions().create(new StoredSession(old, account.id(), "phone", NOW.minus(Duration.ofDays(40)),
                NOW.minus(Duration.ofDays(10)))));

        StoredSession found = db().sessions().findValid(live, NOW).orElseThrow();
        assertThat(found.accountId()).isEqualTo(account.id());
        assertThat(found.device()).isEqualTo("laptop");
        assertThat(found.expiresAt()).isEqualTo(NOW.plus(30, ChronoUnit.DAYS));
        assertThat(db().sessions().findValid(old, NOW)).isEmpty();
        assertThat(db().sessions().findValid(live, NOW.plus(Duration.ofDays(31)))).isEmpty();

        assertThat(await(db().sessions().deleteExpired(NOW))).isGreaterThanOrEqualTo(1);
        assertThat(await(db().sessions().delete(live))).isTrue();
        assertThat(await(db().sessions().delete(live))).isFalse();
        assertThat(db().sessions().findValid(live, NOW)).isEmpty();
    }

    @Test
    void sessionOfAnUnknownAccountIsRefusedByTheDatabase() {
        assertThatThrownBy(() -> await(db().sessions().create(
                new StoredSession(bytes(32), Long.MAX_VALUE - 1, "x", NOW, NOW.plusSeconds(60)))))
                .hasCauseInstanceOf(StorageException.class);
    }

    @Test
    void firstStoredSettingWinsAndIsReturnedToEveryone() throws Exception {
        String name = uniqueName("setting");
        assertThat(await(db().settings().putIfAbsent(name, "first"))).isEqualTo("first");
        assertThat(await(db().settings().putIfAbsent(name, "second"))).isEqualTo("first");
    }

    @Test
    void databaseIsReachable() {
        assertThat(db().isReachable()).isTrue();
    }

    static void assertUnavailable(CompletableFuture<?> future) {
        assertThatThrownBy(() -> future.get(30, TimeUnit.SECONDS))
                .cause().isInstanceOf(StorageException.class);
    }
}
