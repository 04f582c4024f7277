package dev.fastchat.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @Test
    void defaultsAreTheEmbeddedSingleNode() {
        ServerConfig config = ServerConfig.defaults();
        assertThat(config.listen()).isEqualTo(new HostAndPort("127.0.0.1", 7420));
        assertThat(config.databaseUrl()).isEqualTo("jdbc:sqlite:" + Path.of("data", "fastchat.db"));
        assertThat(config.limits().maxFrameBytes()).isEqualTo(1 << 20);
        assertThat(config.limits().idleTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.accounts().minKdfMemoryKib()).isEqualTo(19456);
        // TLS with the server's own certificate, made in the data directory on first start
        assertThat(config.tls()).contains(new TlsConfig(Path.of("data", "tls", "server.crt"), Path.of("data", "tls", "server.key"), true));
    }

    @Test
    void plainTcpOnlyWhenAskedForAndNeverTogetherWithACertificate() {
        assertThat(ConfigLoader.load(Map.of("insecure-plaintext", "true")).tls()).isEmpty();
        assertThatThrownBy(() -> ConfigLoader.load(Map.of("insecure-plaintext", "true", "tls-cert", "/a.pem", "tls-key", "/b.pem")))
                .hasMessageContaining("contradict");
        assertThatThrownBy(() -> ConfigLoader.load(Map.of("insecure-plaintext", "yes"))).hasMessageContaining("not true or false");
    }

    @Test
    void flagsBeatEnvironmentWhichBeatsTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("fastchat.conf");
        Files.writeString(file, "listen = 127.0.0.1:1000\nnode-id = from-file\nidle-timeout = 5m\n");
        ServerConfig config = ConfigLoader.load(Optional.of(file),
                Map.of("FASTCHAT_LISTEN", "127.0.0.1:2000", "FASTCHAT_NODE_ID", "from-env", "FASTCHAT_PASSWORD", "ignored"),
                Map.of("node-id", "from-flag"));
        assertThat(config.listen().port()).isEqualTo(2000);
        assertThat(config.nodeId()).isEqualTo("from-flag");
        assertThat(config.limits().idleTimeout()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void everyProblemIsReportedWithWhatToFix() {
        assertThatThrownBy(() -> ConfigLoader.load(Map.of(
                "listen", "nowhere",
                "max-frame-bytes", "12",
                "idle-timeout", "soon",
                "db", "jdbc:mysql://x/y",
                "tls-cert", "/nonexistent.pem",
                "colour", "blue")))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).hasSize(6))
                .hasMessageContaining("listen: 'nowhere' has no port")
                .hasMessageContaining("max-frame-bytes: must be a whole number from 4096 to 16777216, got '12'")
                .hasMessageContaining("idle-timeout: 'soon' is not a duration")
                .hasMessageContaining("jdbc:sqlite:PATH or jdbc:postgresql://")
                .hasMessageContaining("tls-cert and tls-key go together")
                .hasMessageContaining("unknown setting 'colour'");
    }

    @Test
    void aClusterIsRefusedOnSqliteAndItsSettingsAreChecked() {
        assertThatThrownBy(() -> ConfigLoader.load(Map.of("nats", "nats://127.0.0.1:4222")))
                .hasMessageContaining("a cluster of several nodes needs a shared PostgreSQL database");
        assertThatThrownBy(() -> ConfigLoader.load(Map.of("balance", "round-robin")))
                .hasMessageContaining("balance: round-robin needs a cluster (set nats)");
        assertThatThrownBy(() -> ConfigLoader.load(Map.of("db", "jdbc:postgresql://127.0.0.1/x", "nats", "http://x",
                "balance", "busiest", "admin-listen", "nowhere")))
                .satisfies(e -> assertThat(((ConfigException) e).problems()).hasSize(3))
                .hasMessageContaining("nats: 'http://x' is not a NATS URL")
                .hasMessageContaining("balance: 'busiest' is not a policy")
                .hasMessageContaining("admin-listen:");
        ServerConfig cluster = ConfigLoader.load(Map.of("db", "jdbc:postgresql://127.0.0.1/x", "nats", "nats://127.0.0.1:4222",
                "balance", "least-loaded", "admin-listen", "127.0.0.1:9090", "advertise", "10.0.0.5:7420"));
        assertThat(cluster.cluster().clustered()).isTrue();
        assertThat(cluster.cluster().balance()).isEqualTo(ClusterConfig.BalancePolicy.LEAST_LOADED);
        assertThat(cluster.clientAddress()).isEqualTo(new HostAndPort("10.0.0.5", 7420));
    }

    @Test
    void unknownKeyInTheFileIsNamed(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.conf");
        Files.writeString(file, "lissen = 1\n");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(file), Map.of(), Map.of()))
                .hasMessageContaining("unknown setting 'lissen' in " + file);
    }

    @Test
    void hostAndPortParsesIpv6AndRefusesBareHosts() {
        assertThat(HostAndPort.parse("[::1]:7420")).isEqualTo(new HostAndPort("::1", 7420));
        assertThat(HostAndPort.parse("[::1]:7420").toString()).isEqualTo("[::1]:7420");
        assertThat(HostAndPort.parse(":9")).isEqualTo(new HostAndPort("127.0.0.1", 9));
        assertThatThrownBy(() -> HostAndPort.parse("::1:7420")).hasMessageContaining("brackets");
        assertThatThrownBy(() -> HostAndPort.parse("localhost:70000")).hasMessageContaining("0..65535");
    }

    @Test
    void durationsTakeUnits() {
        assertThat(ConfigLoader.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(ConfigLoader.parseDuration("30")).isEqualTo(Duration.ofSeconds(30));
        assertThat(ConfigLoader.parseDuration("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(ConfigLoader.parseDuration("30d")).isEqualTo(Duration.ofDays(30));
    }
}
