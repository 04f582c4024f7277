package dev.fastchat.versus;

import org.HdrHistogram.Histogram;

/**
 * One run of one system: its messages (warm-up included, as the load generator counts them), the latencies of
 * the measured window (warm-up left out), and what the server process spent in that window.
 *
 * @param offered messages due
 * @param acked those the server acknowledged (durably, where the system acknowledges)
 * @param lost acknowledged and never delivered
 * @param cpuMicrosPerMessage the server process's CPU time in the measured window (from {@code /proc}) per message due in it
 * @param driverCpuMicrosPerMessage the same for the load's driver (all clients, in one process)
 * @param databaseCpuMicrosPerMessage the same for PostgreSQL's processes, for the systems that keep messages there (else NaN)
 * @param rssKiB the server's resident set at the end of the window
 * @param peakRssKiB its peak resident set since it started
 */
record Outcome(String system, int clients, int rate, long offered, long acked, long delivered, long lost, long errors,
               Histogram endToEnd, Histogram ack, double seconds, double cpuMicrosPerMessage, double driverCpuMicrosPerMessage,
               double databaseCpuMicrosPerMessage, long rssKiB, long peakRssKiB) {
    static final double P99_LIMIT_MS = 25;

    Outcome(String system, int clients, int rate, long offered, long acked, long delivered, long lost, long errors, Histogram endToEnd,
            Histogram ack, double seconds) {
        this(system, clients, rate, offered, acked, delivered, lost, errors, endToEnd, ack, seconds, Double.NaN, Double.NaN, Double.NaN, 0, 0);
    }

    Outcome withServer(double cpuMicros, double driverCpuMicros, double databaseCpuMicros, long rss, long peakRss) {
        return new Outcome(system, clients, rate, offered, acked, delivered, lost, errors, endToEnd, ack, seconds, cpuMicros, driverCpuMicros,
                databaseCpuMicros, rss, peakRss);
    }

    double p50Millis() {
        return endToEnd.getValueAtPercentile(50) / 1e6;
    }

    double p99Millis() {
        return endToEnd.getTotalCount() == 0 ? Double.POSITIVE_INFINITY : endToEnd.getValueAtPercentile(99) / 1e6;
    }

    /** Every message acknowledged and delivered, none lost, no error, and a p99 end to end under 25 ms. */
    boolean sustained() {
        return offered > 0 && acked == offered && delivered >= offered && lost == 0 && errors == 0 && p99Millis() < P99_LIMIT_MS;
    }
}
