package dev.fastchat.client;

import dev.fastchat.app.ScratchDirectory;
import dev.fastchat.app.loadgen.LoadGenerator;
import dev.fastchat.app.loadgen.Pattern;
import dev.fastchat.crypto.KdfParams;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Light load end to end through the client library, on a warm node and a warm client: the load generator's odd-even
 * scenario with 6 clients at 10 msgs/s, latency from each message's due time to its opened delivery. First one round
 * warms this JVM's client code (100 clients at 200 msgs/s for 15 s, sealing every message); then each round runs the
 * light load twice, sealing in the schedule ({@code full}) and presealed. Bounded by its arguments.
 *
 * <p>Usage, against a node started with {@code fastchat server --insecure-plaintext --set min-kdf-memory-kib=8 --set
 * min-kdf-iterations=1 --set send-rate=100000 --set send-burst=100000 --set registrations-per-address-per-hour=100000
 * --set max-connections-per-address=5000} (the load accounts register with a cheap key derivation):
 * {@code java --enable-native-access=ALL-UNNAMED -XX:+UseG1GC -cp bench/target/benchmarks.jar
 * dev.fastchat.client.LightLoadLatency HOST:PORT [SECONDS] [ROUNDS]} (default 20 s and 2 rounds).
 */
public final class LightLoadLatency {
    public static void main(String[] args) throws Exception {
        String[] hostAndPort = args[0].split(":");
        Endpoint at = new Endpoint(hostAndPort[0], Integer.parseInt(hostAndPort[1]));
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Path keys = Files.createTempDirectory("fastchat-light-load");
        try {
            run(at, 100, 200, 15, LoadGenerator.Crypto.FULL, keys, "warm-up");
            for (int round = 1; round <= rounds; round++) {
                run(at, 6, 10, seconds, LoadGenerator.Crypto.FULL, keys, "round " + round + ", full");
                run(at, 6, 10, seconds, LoadGenerator.Crypto.PRESEALED, keys, "round " + round + ", presealed");
            }
        } finally {
            ScratchDirectory.delete(keys);
        }
    }

    private static void run(Endpoint at, int clients, int rate, int seconds, LoadGenerator.Crypto crypto, Path keys, String label)
            throws Exception {
        LoadGenerator.Options options = new LoadGenerator.Options(List.of(at), clients, Pattern.ODD_EVEN, rate, Duration.ofSeconds(2),
                Duration.ofSeconds(seconds), 0, 2, crypto, keys, KdfParams.INSECURE_FOR_TESTS, "light", true, 1);
        LoadGenerator.Result result = new LoadGenerator(options, new PrintStream(OutputStream.nullOutputStream()), false).run();
        System.out.printf(Locale.ROOT, "%s, %d clients at %d msgs/s: end to end p50 %.2f ms, p90 %.2f ms, p99 %.2f ms; send to ack"
                        + " p50 %.2f ms, p99 %.2f ms; %d of %d delivered, %d lost%n", label, clients, rate, millis(result.endToEnd(), 50),
                millis(result.endToEnd(), 90), millis(result.endToEnd(), 99), millis(result.ack(), 50), millis(result.ack(), 99),
                result.delivered(), result.expectedDeliveries(), result.lost());
    }

    private static double millis(org.HdrHistogram.Histogram histogram, double percentile) {
        return histogram.getValueAtPercentile(percentile) / 1e6;
    }
}
