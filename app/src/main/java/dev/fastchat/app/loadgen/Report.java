package dev.fastchat.app.loadgen;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import dev.fastchat.app.loadgen.LoadGenerator.Result;
import dev.fastchat.app.loadgen.LoadGenerator.Second;
import java.awt.Color;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A run's results as files: {@code summary.json}, {@code timeline.csv} (per second: offered, acknowledged
 * and delivered messages, latency percentiles) and three PNG plots: latency over time, the latency
 * percentile distribution on a log scale, and throughput over time. Titles say the pattern, the client
 * count, the rate and the crypto mode.
 */
public final class Report {
    private static final double[] PERCENTILES = {50, 90, 99, 99.9, 100};

    private Report() {}

    /** A title for plots: {@code odd-even, 1000 clients, 5000 msgs/s, presealed} (and {@code , 1 in 10 opened}). */
    public static String title(Result result) {
        var o = result.options();
        return String.format(Locale.ROOT, "%s, %d clients, %,d msgs/s, %s%s", o.pattern().label(), o.clients(), o.rate(),
                o.crypto() == LoadGenerator.Crypto.FULL ? "full crypto" : "presealed", o.openOneIn() > 1 ? ", 1 in " + o.openOneIn() + " opened" : "");
    }

    public static void write(Result result, Path dir) throws IOException {
        Files.createDirectories(dir);
        summary(result, dir.resolve("summary.json"));
        timeline(result, dir.resolve("timeline.csv"));
        latencyOverTime(result, dir.resolve("latency-over-time.png"));
        percentiles(List.of(result), List.of(title(result)), dir.resolve("latency-percentiles.png"), "Latency by percentile: " + title(result));
        throughput(result, dir.resolve("throughput.png"));
    }

    private static void summary(Result result, Path file) throws IOException {
        try (Writer out = Files.newBufferedWriter(file);
             JsonGenerator json = new JsonFactory().createGenerator(out).setPrettyPrinter(new DefaultPrettyPrinter())) {
            writeSummary(json, result);
        }
    }

    /** One run's summary as a JSON object. */
    public static void writeSummary(JsonGenerator json, Result result) throws IOException {
        var o = result.options();
        json.writeStartObject();
        json.writeStringField("pattern", o.pattern().label());
        json.writeNumberField("clients", o.clients());
        json.writeStringField("crypto", o.crypto().name().toLowerCase(Locale.ROOT));
        json.writeNumberField("open_one_in", o.openOneIn());
        json.writeNumberField("rate_offered", o.rate());
        json.writeNumberField("warmup_s", o.warmup().toSeconds());
        json.writeNumberField("duration_s", o.duration().toSeconds());
        if (o.pattern().usesGroup()) {
            json.writeNumberField("group_size", o.groupSize());
        }
        json.writeStringField("servers", o.servers().toString());
        json.writeNumberField("setup_s", round(result.setupSeconds()));
        json.writeNumberField("window_s", round(result.seconds()));
        json.writeNumberField("messages_offered", result.offered());
        json.writeNumberField("messages_acked", result.acked());
        json.writeNumberField("rate_achieved", round(result.achievedRate()));
        json.writeNumberField("deliveries_expected", result.expectedDeliveries());
        json.writeNumberField("deliveries", result.delivered());
        json.writeNumberField("deliveries_per_s", round(result.delivered() / result.seconds()));
        json.writeNumberField("lost", result.lost());
        json.writeNumberField("duplicated", result.duplicated());
        json.writeObjectFieldStart("errors");
        for (Map.Entry<?, Long> error : result.errors().entrySet()) {
            json.writeNumberField(error.getKey().toString(), error.getValue());
        }
        json.writeEndObject();
        latency(json, "end_to_end_ms", result.endToEnd());
        latency(json, "send_to_ack_ms", result.ack());
        json.writeObjectFieldStart("sessions_per_node");
        for (Map.Entry<String, Integer> node : result.sessionsPerNode().entrySet()) {
            json.writeNumberField(node.getKey(), node.getValue());
        }
        json.writeEndObject();
        json.writeEndObject();
    }

    private static void latency(JsonGenerator json, String name, Histogram histogram) throws IOException {
        json.writeObjectFieldStart(name);
        json.writeNumberField("count", histogram.getTotalCount());
        for (double p : PERCENTILES) {
            json.writeNumberField(p == 100 ? "max" : "p" + (p == 99.9 ? "99.9" : Integer.toString((int) p)),
                    round(histogram.getValueAtPercentile(p) / 1e6));
        }
        json.writeNumberField("mean", round(histogram.getMean() / 1e6));
        json.writeEndObject();
    }

    private static void timeline(Result result, Path file) throws IOException {
        try (Writer out = Files.newBufferedWriter(file)) {
            out.write("second,offered,acked,delivered,errors,e2e_p50_ms,e2e_p99_ms,e2e_max_ms,ack_p50_ms,ack_p99_ms\n");
            for (Second s : result.timeline()) {
                out.write(String.format(Locale.ROOT, "%d,%d,%d,%d,%d,%.3f,%.3f,%.3f,%.3f,%.3f%n", s.second(), s.offered(), s.acked(),
                        s.delivered(), s.errors(), ms(s.endToEnd(), 50), ms(s.endToEnd(), 99), ms(s.endToEnd(), 100),
                        ms(s.ack(), 50), ms(s.ack(), 99)));
            }
        }
    }

    private static void latencyOverTime(Result result, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(1000).height(500).title("End-to-end latency over time: " + title(result))
                .xAxisTitle("second").yAxisTitle("latency (ms)").build();
        style(chart);
        List<Double> x = new ArrayList<>();
        List<Double> p50 = new ArrayList<>();
        List<Double> p99 = new ArrayList<>();
        List<Double> max = new ArrayList<>();
        for (Second s : result.timeline()) {
            if (s.endToEnd().getTotalCount() == 0) {
                continue;
            }
            x.add((double) s.second());
            p50.add(ms(s.endToEnd(), 50));
            p99.add(ms(s.endToEnd(), 99));
            max.add(ms(s.endToEnd(), 100));
        }
        if (x.isEmpty()) { // log-in storms deliver nothing: plot the log-in (ack) latency instead
            chart.setTitle("Log-in latency over time: " + title(result));
            for (Second s : result.timeline()) {
                x.add((double) s.second());
                p50.add(ms(s.ack(), 50));
                p99.add(ms(s.ack(), 99));
                max.add(ms(s.ack(), 100));
            }
        }
        if (!x.isEmpty()) {
            chart.addSeries("p50", x, p50).setMarker(SeriesMarkers.NONE);
            chart.addSeries("p99", x, p99).setMarker(SeriesMarkers.NONE);
            chart.addSeries("max", x, max).setMarker(SeriesMarkers.NONE);
        } else {
            chart.addSeries("no data", new double[] {0}, new double[] {0});
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * Latency against percentile, the x axis as 1 / (1 - percentile) on a log scale (so 90, 99, 99.9, 99.99 are
     * evenly spaced), one series per run.
     */
    public static void percentiles(List<Result> results, List<String> names, Path file, String title) throws IOException {
        XYChart chart = new XYChartBuilder().width(1000).height(500).title(title)
                .xAxisTitle("percentile (1 / (1 - p), log scale: 10 = p90, 100 = p99, 1000 = p99.9)").yAxisTitle("latency (ms)").build();
        style(chart);
        chart.getStyler().setXAxisLogarithmic(true);
        boolean any = false;
        for (int i = 0; i < results.size(); i++) {
            Histogram histogram = results.get(i).endToEnd().getTotalCount() > 0 ? results.get(i).endToEnd() : results.get(i).ack();
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (HistogramIterationValue value : histogram.percentiles(5)) {
                double p = value.getPercentileLevelIteratedTo() / 100.0;
                if (p >= 0.999999) {
                    break;
                }
                x.add(1 / (1 - p));
                y.add(value.getValueIteratedTo() / 1e6);
            }
            if (!x.isEmpty()) {
                chart.addSeries(names.get(i), x, y).setMarker(SeriesMarkers.NONE);
                any = true;
            }
        }
        if (!any) {
            chart.addSeries("no data", new double[] {1}, new double[] {0});
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void throughput(Result result, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(1000).height(500).title("Throughput over time: " + title(result))
                .xAxisTitle("second").yAxisTitle("per second").build();
        style(chart);
        List<Double> x = new ArrayList<>();
        List<Double> offered = new ArrayList<>();
        List<Double> acked = new ArrayList<>();
        List<Double> delivered = new ArrayList<>();
        for (Second s : result.timeline()) {
            x.add((double) s.second());
            offered.add((double) s.offered());
            acked.add((double) s.acked());
            delivered.add((double) s.delivered());
        }
        if (x.isEmpty()) {
            x.add(0.0);
            offered.add(0.0);
            acked.add(0.0);
            delivered.add(0.0);
        }
        chart.addSeries("offered", x, offered).setMarker(SeriesMarkers.NONE);
        chart.addSeries("acknowledged", x, acked).setMarker(SeriesMarkers.NONE);
        chart.addSeries("delivered", x, delivered).setMarker(SeriesMarkers.NONE);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** Bars per run: latency percentiles, throughput and sessions per node, for comparing balancing policies. */
    public static void comparison(List<Result> results, List<String> names, Path file, String title) throws IOException {
        CategoryChart latency = new CategoryChartBuilder().width(1200).height(500).title(title)
                .xAxisTitle("policy").yAxisTitle("ms; msgs/s / 100; sessions").build();
        latency.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        latency.getStyler().setChartBackgroundColor(Color.WHITE);
        List<Double> p50 = new ArrayList<>();
        List<Double> p99 = new ArrayList<>();
        List<Double> rate = new ArrayList<>();
        List<String> nodes = results.stream().flatMap(r -> r.sessionsPerNode().keySet().stream()).distinct().sorted().toList();
        List<List<Double>> sessions = new ArrayList<>();
        nodes.forEach(n -> sessions.add(new ArrayList<>()));
        for (Result result : results) {
            Histogram h = result.endToEnd().getTotalCount() > 0 ? result.endToEnd() : result.ack();
            p50.add(h.getValueAtPercentile(50) / 1e6);
            p99.add(h.getValueAtPercentile(99) / 1e6);
            rate.add(result.achievedRate() / 100);
            for (int i = 0; i < nodes.size(); i++) {
                sessions.get(i).add((double) result.sessionsPerNode().getOrDefault(nodes.get(i), 0));
            }
        }
        latency.addSeries("p50 latency (ms)", names, p50);
        latency.addSeries("p99 latency (ms)", names, p99);
        latency.addSeries("achieved (msgs/s / 100)", names, rate);
        for (int i = 0; i < nodes.size(); i++) {
            latency.addSeries("sessions on " + nodes.get(i), names, sessions.get(i));
        }
        BitmapEncoder.saveBitmap(latency, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void style(XYChart chart) {
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesVisible(true);
    }

    private static double ms(Histogram histogram, double percentile) {
        return histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1e6;
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }

    /** The one-paragraph result for the terminal. */
    public static String text(Result result) {
        return String.format(Locale.ROOT, """
                %s: %,d offered, %,d acknowledged in %.1f s (%,.0f msgs/s achieved), %,d of %,d deliveries, %d lost, %d duplicated, errors %s
                  end to end: p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms
                  send to ack: p50 %.2f ms  p99 %.2f ms  max %.2f ms
                  sessions per node: %s""", title(result), result.offered(), result.acked(), result.seconds(), result.achievedRate(),
                result.delivered(), result.expectedDeliveries(), result.lost(), result.duplicated(), result.errors(),
                ms(result.endToEnd(), 50), ms(result.endToEnd(), 99), ms(result.endToEnd(), 99.9), ms(result.endToEnd(), 100),
                ms(result.ack(), 50), ms(result.ack(), 99), ms(result.ack(), 100), result.sessionsPerNode());
    }
}
