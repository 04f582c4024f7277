package dev.fastchat.app;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import dev.fastchat.app.loadgen.LoadGenerator;
import dev.fastchat.app.loadgen.LoadGenerator.Crypto;
import dev.fastchat.app.loadgen.LoadGenerator.Result;
import dev.fastchat.app.loadgen.Pattern;
import dev.fastchat.app.loadgen.Report;
import dev.fastchat.client.Endpoint;
import dev.fastchat.crypto.KdfParams;
import dev.fastchat.server.FastChatServer;
import dev.fastchat.server.config.ConfigLoader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code fastchat loadgen}. */
@Command(name = "loadgen", mixinStandardHelpOptions = true,
        header = "Measures latency and throughput with real clients on an open-loop schedule; draws the plots.",
        description = "Drives real clients (real sockets, real sealing and opening) against a server or a cluster on an "
                + "open-loop schedule: message k is due at start + k/rate whatever the latency, and latency counts from "
                + "the due time. Measures end-to-end latency (due time to decrypted delivery at every recipient), "
                + "send-to-ack latency, throughput, errors by code and lost messages (acknowledged, never delivered). "
                + "Bounded by --messages and --duration; stops by itself. Writes summary.json, timeline.csv and PNG "
                + "plots to --out. Load accounts are named lg<N> (password loadgen-lg<N>): registered on first use, "
                + "reused after.")
final class LoadgenCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--server", paramLabel = "HOST:PORT[,HOST:PORT...]", split = ",",
            description = "the node(s) to use (several: one cluster; clients try them in order)")
    List<String> servers = new ArrayList<>();

    @Option(names = "--self", description = "start a server on SQLite in this process on a free port and use it")
    boolean self;

    @Option(names = "--compare-balancing", description = "run the scenario on a 3-node cluster (in this process) once per"
            + " balancing policy and compare them; needs --db (PostgreSQL) and --nats")
    boolean compareBalancing;

    @Option(names = "--db", paramLabel = "JDBC_URL", description = "PostgreSQL for --compare-balancing (a schema per policy, dropped after)")
    String db;

    @Option(names = "--nats", paramLabel = "URL", description = "NATS with JetStream for --compare-balancing")
    String nats;

    @Option(names = "--clients", paramLabel = "N", defaultValue = "10", description = "clients (default ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--pattern", paramLabel = "P", defaultValue = "odd-even",
            description = "odd-even, same-half, to-first-three, group, login-storm or mixed (default ${DEFAULT-VALUE})")
    String pattern;

    @Option(names = "--rate", paramLabel = "MSGS_PER_S", defaultValue = "100", description = "offered rate (default ${DEFAULT-VALUE})")
    int rate;

    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "10", description = "longest timed window (default ${DEFAULT-VALUE})")
    int duration;

    @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "2",
            description = "run this long at the rate first, left out of the summary (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--messages", paramLabel = "N", defaultValue = "0", description = "most messages after the warm-up (default: rate x duration)")
    long messages;

    @Option(names = "--group-size", paramLabel = "N", defaultValue = "8", description = "members of the load group (group, mixed)")
    int groupSize;

    @Option(names = "--crypto", paramLabel = "MODE", defaultValue = "full",
            description = "full: seal every message in the timed window; presealed: seal them all before it (recipients still verify and open)")
    String crypto;

    @Option(names = "--open-sample", paramLabel = "N", defaultValue = "1",
            description = "recipients verify and open one pushed message in N (by seq) and match the others to their sends"
                    + " by conversation and seq, unopened: a cheaper receiving side where the load generator shares the"
                    + " server's cores (default ${DEFAULT-VALUE}: open every one)")
    int openSample;

    @Option(names = "--insecure-plaintext",
            description = "plain TCP instead of TLS (for a server started with --insecure-plaintext; with --self, its server too)")
    boolean insecurePlaintext;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "loadgen-results", description = "where the results go (default ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (clients < 2 || clients > 100_000 || rate < 1 || rate > 1_000_000 || duration < 1 || duration > 3600 || messages < 0
                || warmup < 0 || warmup > 600 || openSample < 1 || openSample > 1_000_000) {
            throw new IllegalArgumentException("need 2 to 100000 --clients, --rate from 1 to 1000000, --duration from 1 to 3600 s,"
                    + " --warmup from 0 to 600 s, --open-sample from 1 to 1000000");
        }
        Pattern chosen = Pattern.parse(pattern);
        Crypto mode = switch (crypto) {
            case "full" -> Crypto.FULL;
            case "presealed" -> Crypto.PRESEALED;
            default -> throw new IllegalArgumentException("--crypto is full or presealed, not " + crypto);
        };
        PrintStream progress = System.err;
        boolean interactive = System.console() != null;
        if (compareBalancing) {
            return compare(chosen, mode, progress, interactive);
        }
        if (self == !servers.isEmpty()) {
            throw new IllegalArgumentException("give --server HOST:PORT[,...] or --self (not both)");
        }
        Path keys = out.resolve("keys");
        if (self) {
            Path data = Files.createTempDirectory("fastchat-loadgen");
            try (FastChatServer server = FastChatServer.start(ConfigLoader.load(selfSettings(data, insecurePlaintext)))) {
                progress.println("started a server on SQLite at " + server.address() + " (data in " + data + ")");
                Result result = new LoadGenerator(new LoadGenerator.Options(List.of(new Endpoint(server.address().host(),
                        server.address().port())), clients, chosen, rate, Duration.ofSeconds(warmup), Duration.ofSeconds(duration), messages, groupSize, mode,
                        keys, KdfParams.INSECURE_FOR_TESTS, "lg", insecurePlaintext, openSample), progress, interactive).run();
                return finish(result);
            } finally {
                ScratchDirectory.delete(data);
            }
        }
        List<Endpoint> endpoints = servers.stream().map(Endpoint::parse).toList();
        Result result = new LoadGenerator(new LoadGenerator.Options(endpoints, clients, chosen, rate, Duration.ofSeconds(warmup), Duration.ofSeconds(duration),
                messages, groupSize, mode, keys, KdfParams.DEFAULT, "lg", insecurePlaintext, openSample), progress, interactive).run();
        return finish(result);
    }

    private int finish(Result result) throws Exception {
        Report.write(result, out);
        spec.commandLine().getOut().println(Report.text(result));
        spec.commandLine().getOut().println("results in " + out.toAbsolutePath() + " (summary.json, timeline.csv, *.png)");
        return result.lost() == 0 ? ExitCodes.OK : ExitCodes.REFUSED;
    }

    /** A node for load runs: cheap key stretching for the load accounts, no rate limits in the way. */
    private static Map<String, String> selfSettings(Path data, boolean insecurePlaintext) {
        Map<String, String> settings = new HashMap<>();
        settings.put("insecure-plaintext", Boolean.toString(insecurePlaintext));
        settings.put("listen", "127.0.0.1:0");
        settings.put("data", data.toString());
        settings.put("min-kdf-memory-kib", "8");
        settings.put("min-kdf-iterations", "1");
        settings.put("send-rate", "1000000");
        settings.put("send-burst", "1000000");
        settings.put("login-failure-burst-per-address", "1000000");
        settings.put("max-inflight-requests", "100000");
        settings.put("max-group-members", "100000");
        settings.put("exempt-addresses", "127.0.0.1");
        settings.put("group-creations-per-minute", "1000000");
        settings.put("member-additions-per-minute", "1000000");
        settings.put("max-connections", "1000000");
        return settings;
    }

    /** The same scenario on a fresh 3-node cluster per balancing policy, side by side. */
    private int compare(Pattern chosen, Crypto mode, PrintStream progress, boolean interactive) throws Exception {
        if (db == null || !db.startsWith("jdbc:postgresql:") || nats == null) {
            throw new IllegalArgumentException("--compare-balancing needs --db jdbc:postgresql://... and --nats nats://...");
        }
        List<String> policies = List.of("least-loaded", "random", "round-robin");
        List<Result> results = new ArrayList<>();
        for (String policy : policies) {
            String schema = "loadgen_" + policy.replace('-', '_') + "_" + ProcessHandle.current().pid();
            execute(db, "CREATE SCHEMA " + schema);
            Path data = Files.createTempDirectory("fastchat-loadgen");
            List<FastChatServer> nodes = new ArrayList<>();
            try {
                for (int i = 1; i <= 3; i++) {
                    Map<String, String> settings = selfSettings(data.resolve("n" + i), insecurePlaintext);
                    settings.put("db", db + (db.contains("?") ? "&" : "?") + "currentSchema=" + schema);
                    settings.put("nats", nats);
                    settings.put("cluster", schema.replace('_', '-'));
                    settings.put("node-id", "n" + i);
                    settings.put("balance", policy);
                    settings.put("node-timeout", "3s");
                    nodes.add(FastChatServer.start(ConfigLoader.load(settings)));
                }
                Thread.sleep(1_500); // let the nodes see each other in the registry
                List<Endpoint> endpoints = nodes.stream().map(n -> new Endpoint(n.address().host(), n.address().port())).toList();
                progress.println("== " + policy + ": 3 nodes " + endpoints + ", every client asks n1 first");
                LoadGenerator.Options scenario = new LoadGenerator.Options(endpoints, clients, chosen, rate, Duration.ofSeconds(warmup),
                        Duration.ofSeconds(duration), messages, groupSize, mode, out.resolve(policy).resolve("keys"),
                        KdfParams.INSECURE_FOR_TESTS, "lg", insecurePlaintext, openSample);
                if (results.isEmpty()) { // the first policy would pay for this JVM's warm-up: run it once unrecorded
                    progress.println("(a first, unrecorded run warms this JVM up, so that the first policy is not disadvantaged)");
                    new LoadGenerator(scenario, progress, interactive).run();
                    Thread.sleep(1_500); // its sessions leave the node registry before the recorded run
                }
                Result result = new LoadGenerator(scenario, progress, interactive).run();
                Report.write(result, out.resolve(policy));
                spec.commandLine().getOut().println("== " + policy + "\n" + Report.text(result));
                results.add(result);
            } finally {
                nodes.forEach(FastChatServer::close);
                execute(db, "DROP SCHEMA " + schema + " CASCADE");
                ScratchDirectory.delete(data);
            }
        }
        Files.createDirectories(out);
        String title = String.format(Locale.ROOT, "Balancing policies, 3 nodes: %s", Report.title(results.getFirst()));
        Report.comparison(results, policies, out.resolve("balancing.png"), title);
        Report.percentiles(results, policies, out.resolve("balancing-latency-percentiles.png"), "Latency by percentile: " + title);
        try (Writer writer = Files.newBufferedWriter(out.resolve("balancing.json"));
             JsonGenerator json = new JsonFactory().createGenerator(writer).setPrettyPrinter(new DefaultPrettyPrinter())) {
            json.writeStartObject();
            for (int i = 0; i < policies.size(); i++) {
                json.writeFieldName(policies.get(i));
                Report.writeSummary(json, results.get(i));
            }
            json.writeEndObject();
        }
        spec.commandLine().getOut().println("comparison in " + out.toAbsolutePath() + " (balancing.json, balancing.png, one folder per policy)");
        return results.stream().allMatch(r -> r.lost() == 0) ? ExitCodes.OK : ExitCodes.REFUSED;
    }

    private static void execute(String url, String sql) throws Exception {
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

}
