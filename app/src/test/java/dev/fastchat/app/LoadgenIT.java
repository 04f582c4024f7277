package dev.fastchat.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fastchat loadgen --self}, the packaged command: a whole bounded run of each pattern, its files, and its refusals. */
class LoadgenIT {
    @TempDir
    Path dir;

    private NodeProcess.Run loadgen(String... args) throws Exception {
        // Runs of a few seconds end before the optimizing compiler pays for itself: the quick one alone halves their CPU.
        // These runs check counts and files, not speed.
        return NodeProcess.run(List.of("-Xmx512m", "-XX:TieredStopAtLevel=1"), null, args);
    }

    @Test
    void everyPatternRunsBoundedLosesNothingAndWritesItsReport() throws Exception {
        for (String pattern : List.of("odd-even", "same-half", "to-first-three", "group", "mixed", "login-storm")) {
            Path out = dir.resolve(pattern);
            NodeProcess.Run run = loadgen("loadgen", "--self", "--clients", "8", "--group-size", "4", "--pattern", pattern,
                    "--rate", "40", "--warmup", "1", "--duration", "2", "--out", out.toString());
            assertThat(run.exitCode()).as(pattern + ": " + run.out() + run.err()).isZero();
            assertThat(run.out()).contains(pattern + ", 8 clients, 40 msgs/s, full crypto: 120 offered, 120 acknowledged").contains(" 0 lost");
            String summary = Files.readString(out.resolve("summary.json"));
            assertThat(summary).contains("\"lost\" : 0", "\"messages_acked\" : 120", "\"pattern\" : \"" + pattern + "\"");
            assertThat(Files.readAllLines(out.resolve("timeline.csv")).size()).isGreaterThanOrEqualTo(4); // header + 3 s
            for (String plot : List.of("latency-over-time.png", "latency-percentiles.png", "throughput.png")) {
                assertThat(Files.size(out.resolve(plot))).as(plot).isGreaterThan(5_000);
            }
        }
    }

    @Test
    void presealedRunsMeasureTheSameWay() throws Exception {
        Path out = dir.resolve("presealed");
        NodeProcess.Run run = loadgen("loadgen", "--self", "--clients", "6", "--pattern", "odd-even", "--crypto", "presealed",
                "--rate", "50", "--warmup", "0", "--duration", "2", "--messages", "60", "--out", out.toString());
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("presealed: 60 offered, 60 acknowledged").contains("60 of 60 deliveries, 0 lost");
        assertThat(run.err()).contains("presealed 60 messages");
    }

    @Test
    void aSampleOpenedCountsEveryDeliveryOnceDirectAndInAGroup() throws Exception {
        for (String pattern : List.of("odd-even", "group")) {
            Path out = dir.resolve("sampled-" + pattern);
            NodeProcess.Run run = loadgen("loadgen", "--self", "--clients", "6", "--group-size", "4", "--pattern", pattern,
                    "--crypto", "presealed", "--open-sample", "3", "--rate", "50", "--warmup", "0", "--duration", "2", "--out", out.toString());
            assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
            // a group message reaches its 3 other members: 100 deliveries, opened or matched to their sends unopened
            assertThat(run.out()).contains("presealed, 1 in 3 opened: 100 offered, 100 acknowledged")
                    .contains((pattern.equals("group") ? "300 of 300" : "100 of 100") + " deliveries, 0 lost, 0 duplicated");
            assertThat(Files.readString(out.resolve("summary.json"))).contains("\"open_one_in\" : 3");
        }
    }

    @Test
    void badOptionsAreRefusedClearly() throws Exception {
        NodeProcess.Run pattern = loadgen("loadgen", "--self", "--pattern", "everyone", "--out", dir.toString());
        assertThat(pattern.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(pattern.err()).contains("unknown pattern 'everyone'");
        NodeProcess.Run both = loadgen("loadgen", "--self", "--server", "127.0.0.1:1", "--out", dir.toString());
        assertThat(both.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(both.err()).contains("give --server HOST:PORT[,...] or --self");
        NodeProcess.Run group = loadgen("loadgen", "--self", "--pattern", "group", "--clients", "4", "--group-size", "9",
                "--out", dir.toString());
        assertThat(group.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(group.err()).contains("--group-size must be from 2 to the number of clients (4)");
        NodeProcess.Run sample = loadgen("loadgen", "--self", "--open-sample", "0", "--out", dir.toString());
        assertThat(sample.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(sample.err()).contains("--open-sample from 1 to 1000000");
    }
}
