package dev.fastchat.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fastchat.storage.jdbc.Database;
import dev.fastchat.storage.jdbc.DatabaseSettings;
import dev.fastchat.storage.jdbc.SqlDialect;
import dev.fastchat.testkit.PostgresExtension;
import dev.fastchat.testkit.TcpProxy;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresStorageIT extends StorageContract {
    @RegisterExtension
    static final PostgresExtension postgres = new PostgresExtension();
    static Database database;

    @BeforeAll
    static void open() {
        database = Database.open(DatabaseSettings.of(postgres.baseUrl()).withSchema(postgres.schema()));
    }

    @AfterAll
    static void close() {
        if (database != null) {
            database.close();
        }
    }

    @Override
    protected Database db() {
        return database;
    }

    @Test
    void speaksPostgresql() {
        assertThat(database.dialect()).isEqualTo(SqlDialect.POSTGRESQL);
    }

    @Test
    void writesFailClearlyWhilePostgresIsGoneAndSucceedAgainWhenItReturns() throws Exception {
        URI target = URI.create(postgres.baseUrl().substring("jdbc:".length()));
        try (TcpProxy proxy = new TcpProxy(target.getHost(), target.getPort() < 0 ? 5432 : target.getPort())) {
            String proxied = "jdbc:postgresql://127.0.0.1:" + proxy.port() + target.getRawPath()
                    + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery());
            DatabaseSettings settings = new DatabaseSettings(proxied, postgres.schema(), 2, 64, 1024, Duration.ofSeconds(1),
                    DatabaseSettings.DEFAULT_COMMIT_LINGER);
            try (Database viaProxy = Database.open(settings)) {
                String before = uniqueName("before");
                await(viaProxy.accounts().create(newAccount(before)));

                proxy.cut();
                assertUnavailable(viaProxy.accounts().create(newAccount(uniqueName("during"))));
                assertThatThrownBy(() -> viaProxy.accounts().findByName(before)).isInstanceOf(StorageException.class)
                        .hasMessageContaining("find account by name");
                assertThat(viaProxy.isReachable()).isFalse();

                proxy.restore();
                String after = uniqueName("after");
                await(viaProxy.accounts().create(newAccount(after)));
                assertThat(viaProxy.accounts().findByName(before)).isPresent();
                assertThat(viaProxy.accounts().findByName(after)).isPresent();
                assertThat(viaProxy.isReachable()).isTrue();
            }
        }
    }

    @Test
    void unreachableDatabaseAtStartUpSaysWhere() {
        assertThatThrownBy(() -> Database.open(new DatabaseSettings("jdbc:postgresql://127.0.0.1:1/nothing", null, 1, 1, 1,
                Duration.ofMillis(500), Duration.ZERO)))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("cannot connect to the database at jdbc:postgresql://127.0.0.1:1/nothing");
    }
}
