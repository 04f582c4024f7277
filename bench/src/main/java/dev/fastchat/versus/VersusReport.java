package dev.fastchat.versus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The side-by-side runs as one table ({@code versus.md}), one plot ({@code versus.png}) and every run ({@code versus.csv}). */
final class VersusReport {
    private static final Map<String, String> NAMES = Map.of(
            Versus.FASTCHAT, "FastChat, SQLite, ack after fsync, presealed",
            Versus.FASTCHAT_POSTGRES, "FastChat, PostgreSQL, ack after commit, presealed",
            Versus.EJABBERD_MEMORY, "ejabberd 23.01, Mnesia, no archive, no acks (nothing durable)",
            Versus.EJABBERD_DURABLE, "ejabberd 23.01, PostgreSQL, MAM, XEP-0198 acks (durable)");

    private VersusReport() {}

    /** What a system is, for tables. */
    static String name(String system) {
        return NAMES.getOrDefault(system, system);
    }

    static String line(Outcome o) {
        return String.format(Locale.ROOT, "%s: %,d offered, %,d acknowledged, %,d delivered, %d lost, %d errors; end to end p50 %.1f ms,"
                        + " p99 %.1f ms; server CPU %.0f us/msg (driver %.0f%s), RSS %d MiB (peak %d)%s", o.system(), o.offered(), o.acked(), o.delivered(),
                o.lost(), o.errors(), o.p50Millis(), o.p99Millis(), o.cpuMicrosPerMessage(), o.driverCpuMicrosPerMessage(),
                Double.isNaN(o.databaseCpuMicrosPerMessage()) ? "" : String.format(Locale.ROOT, ", PostgreSQL %.0f", o.databaseCpuMicrosPerMessage()),
                o.rssKiB() / 1024, o.peakRssKiB() / 1024, o.sustained() ? "; sustained" : "; NOT sustained");
    }

    static void write(List<Outcome> outcomes, Path dir, int warmup, int duration) throws IOException {
        Files.createDirectories(dir);
        csv(outcomes, dir.resolve("versus.csv"));
        Files.writeString(dir.resolve("versus.md"), table(outcomes, warmup, duration));
        plot(outcomes, dir.resolve("versus.png"));
    }

    private static void csv(List<Outcome> outcomes, Path file) throws IOException {
        StringBuilder csv = new StringBuilder("system,clients,rate,offered,acked,delivered,lost,errors,e2e_p50_ms,e2e_p99_ms,e2e_max_ms,"
                + "ack_p99_ms,server_cpu_us_per_msg,driver_cpu_us_per_msg,postgresql_cpu_us_per_msg,server_rss_kib,server_peak_rss_kib,sustained\n");
        for (Outcome o : outcomes) {
            csv.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%d,%d,%d,%d,%.3f,%.3f,%.3f,%.3f,%.1f,%.1f,%.1f,%d,%d,%b%n", o.system(), o.clients(), o.rate(),
                    o.offered(), o.acked(), o.delivered(), o.lost(), o.errors(), o.p50Millis(), o.p99Millis(), o.endToEnd().getMaxValue() / 1e6,
                    o.ack().getTotalCount() == 0 ? 0 : o.ack().getValueAtPercentile(99) / 1e6, o.cpuMicrosPerMessage(), o.driverCpuMicrosPerMessage(),
                    o.databaseCpuMicrosPerMessage(), o.rssKiB(), o.peakRssKiB(), o.sustained()));
        }
        Files.writeString(file, csv);
    }

    private static String table(List<Outcome> outcomes, int warmup, int duration) {
        Set<String> systems = new LinkedHashSet<>();
        Set<Integer> clientCounts = new LinkedHashSet<>();
        outcomes.forEach(o -> {
            systems.add(o.system());
            clientCounts.add(o.clients());
        });
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Odd-even direct messages, open loop, %d s warm-up and %d s measured, a fresh server per run. "
                + "Sustained: a p99 end to end under %.0f ms, every message acknowledged and delivered, none lost, no error.%n%n",
                warmup, duration, Outcome.P99_LIMIT_MS));
        md.append("| system |");
        clientCounts.forEach(c -> md.append(String.format(Locale.ROOT, " highest sustained rate, %,d clients |", c)));
        md.append(" server CPU per message at 1,000/s |");
        md.append(" server RSS at the most clients (peak) |\n|---|");
        clientCounts.forEach(c -> md.append("---:|"));
        md.append("---:|---:|\n");
        int most = clientCounts.stream().max(Integer::compare).orElse(0);
        for (String system : systems) {
            md.append("| ").append(name(system)).append(" |");
            for (int clients : clientCounts) {
                List<Integer> best = new ArrayList<>();
                outcomes.stream().filter(o -> o.system().equals(system) && o.clients() == clients && o.sustained()).map(Outcome::rate)
                        .max(Integer::compare).ifPresent(best::add);
                md.append(best.isEmpty() ? " none of the rates tried |" : String.format(Locale.ROOT, " %,d/s |", best.getFirst()));
            }
            List<String> cpu = new ArrayList<>();
            for (int clients : clientCounts) {
                outcomes.stream().filter(o -> o.system().equals(system) && o.clients() == clients && o.rate() == 1000).forEach(o ->
                        cpu.add(String.format(Locale.ROOT, "%.0f us (%,d clients)", o.cpuMicrosPerMessage(), clients)));
            }
            md.append(' ').append(cpu.isEmpty() ? "not run" : String.join(", ", cpu)).append(" |");
            long peak = outcomes.stream().filter(o -> o.system().equals(system) && o.clients() == most).mapToLong(Outcome::peakRssKiB).max().orElse(0);
            md.append(String.format(Locale.ROOT, " %d MiB |%n", peak / 1024));
        }
        md.append("\nEvery run, in the order run:\n\n| system | clients | offered | acknowledged | delivered | lost | errors | p50 | p99 | max |"
                + " server CPU per message | driver CPU per message | PostgreSQL CPU per message | server RSS (peak) | sustained |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (Outcome o : outcomes) {
            md.append(String.format(Locale.ROOT, "| %s | %,d | %,d/s | %,d | %,d | %d | %d | %.1f ms | %.1f ms | %.0f ms | %.0f us | %.0f us | %s | %d (%d) MiB | %s |%n",
                    o.system(), o.clients(), o.rate(), o.acked(), o.delivered(), o.lost(), o.errors(), o.p50Millis(), o.p99Millis(),
                    o.endToEnd().getMaxValue() / 1e6, o.cpuMicrosPerMessage(), o.driverCpuMicrosPerMessage(),
                    Double.isNaN(o.databaseCpuMicrosPerMessage()) ? "-" : String.format(Locale.ROOT, "%.0f us", o.databaseCpuMicrosPerMessage()),
                    o.rssKiB() / 1024, o.peakRssKiB() / 1024, o.sustained() ? "yes" : "no"));
        }
        return md.toString();
    }

    /** p99 end to end against the offered rate, a line per system and client count, on a log scale. */
    private static void plot(List<Outcome> outcomes, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(1100).height(650).title("FastChat and ejabberd 23.01 side by side: p99 end to end by offered rate")
                .xAxisTitle("offered msgs/s").yAxisTitle("p99 end to end (ms, log)").build();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        Map<String, List<Outcome>> series = new LinkedHashMap<>();
        for (Outcome o : outcomes) {
            series.computeIfAbsent(String.format(Locale.ROOT, "%s, %,d clients", o.system(), o.clients()), k -> new ArrayList<>()).add(o);
        }
        double maxRate = 1;
        for (Map.Entry<String, List<Outcome>> entry : series.entrySet()) {
            List<Outcome> points = entry.getValue().stream().sorted(Comparator.comparingInt(Outcome::rate)).toList();
            double[] x = points.stream().mapToDouble(Outcome::rate).toArray();
            double[] y = points.stream().mapToDouble(o -> Math.max(0.1, Math.min(120_000, o.p99Millis()))).toArray();
            chart.addSeries(entry.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE);
            maxRate = Math.max(maxRate, x[x.length - 1]);
        }
        chart.addSeries("p99 limit, " + (int) Outcome.P99_LIMIT_MS + " ms", new double[] {0, maxRate},
                new double[] {Outcome.P99_LIMIT_MS, Outcome.P99_LIMIT_MS}).setMarker(SeriesMarkers.NONE).setLineColor(java.awt.Color.RED);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
