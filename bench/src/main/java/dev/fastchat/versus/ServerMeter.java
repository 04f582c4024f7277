package dev.fastchat.versus;

import dev.fastchat.app.loadgen.LoadGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A server process seen from {@code /proc}: its CPU time (all threads, user and system) between the start and
 * the end of the measured window, and its resident set; and the CPU time of this process, the load's driver, in
 * the same window (it shares the machine's cores with the server). For a server that keeps its messages in
 * PostgreSQL, also the CPU time of PostgreSQL's processes (all of them, by their name: a process that ends within
 * the window takes its time with it, so this is a lower bound).
 */
final class ServerMeter implements LoadGenerator.Window {
    private static final long NANOS_PER_TICK = 10_000_000L; // Linux reports process times in USER_HZ, 100 a second

    private final long pid;
    private final boolean database;
    private final long driver = ProcessHandle.current().pid();
    private volatile long databaseAtStart = -1;
    private volatile long databaseAtEnd = -1;
    private volatile long cpuAtStart = -1;
    private volatile long cpuAtEnd = -1;
    private volatile long driverAtStart = -1;
    private volatile long driverAtEnd = -1;
    private volatile long rssKiB;
    private volatile long peakRssKiB;

    /** @param database whether the server keeps its messages in the machine's PostgreSQL, whose CPU time is measured too */
    ServerMeter(long pid, boolean database) {
        this.pid = pid;
        this.database = database;
    }

    @Override
    public void started() {
        cpuAtStart = cpuNanos(pid);
        driverAtStart = cpuNanos(driver);
        databaseAtStart = database ? postgresNanos() : -1;
    }

    @Override
    public void ended() {
        cpuAtEnd = cpuNanos(pid);
        driverAtEnd = cpuNanos(driver);
        databaseAtEnd = database ? postgresNanos() : -1;
        rssKiB = statusKiB(pid, "VmRSS:");
        peakRssKiB = statusKiB(pid, "VmHWM:");
    }

    /** The outcome with the server's and the driver's CPU time per message due in the window, and the server's memory. */
    Outcome apply(Outcome outcome, long messagesInWindow) {
        return outcome.withServer(perMessage(cpuAtStart, cpuAtEnd, messagesInWindow), perMessage(driverAtStart, driverAtEnd, messagesInWindow),
                perMessage(databaseAtStart, databaseAtEnd, messagesInWindow), rssKiB, peakRssKiB);
    }

    private static double perMessage(long start, long end, long messages) {
        return start < 0 || end < 0 ? Double.NaN : (end - start) / 1e3 / messages;
    }

    /** The CPU time of every process named {@code postgres} now (those that ended are not in it). */
    private static long postgresNanos() {
        return ProcessHandle.allProcesses().filter(p -> "postgres".equals(comm(p.pid()))).mapToLong(p -> {
            try {
                return cpuNanos(p.pid());
            } catch (UncheckedIOException e) {
                return 0; // it ended meanwhile
            }
        }).sum();
    }

    private static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).trim();
        } catch (IOException e) {
            return "";
        }
    }

    private static long cpuNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * NANOS_PER_TICK; // utime, stime
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the CPU time of process " + pid, e);
        }
    }

    /** A process's resident set now. */
    static long residentKiB(long pid) {
        return statusKiB(pid, "VmRSS:");
    }

    private static long statusKiB(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                }
            }
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the memory of process " + pid, e);
        }
    }
}
