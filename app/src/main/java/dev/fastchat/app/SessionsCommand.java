package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import dev.fastchat.client.DeviceSession;
import java.io.PrintWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fastchat sessions}. */
@Command(name = "sessions", mixinStandardHelpOptions = true,
        header = "Lists your sessions (the devices logged in), or ends one.",
        description = "One line per session: its id, the device's name, when it began, when and from where it was last "
                + "used; this device's is marked. --end ID ends that session: its token stops working and its "
                + "connections close at once (a lost phone, say). 'fastchat logout --all' ends them all.")
final class SessionsCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneId.systemDefault());

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Option(names = "--end", paramLabel = "ID", description = "end the session with this id (from the list)")
    String end;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (ChatClient client = options.loggedIn()) {
            if (end != null) {
                client.endSession(end).get(60, TimeUnit.SECONDS);
                out.println("ended session " + Terminal.escape(end));
                return ExitCodes.OK;
            }
            for (DeviceSession session : client.sessions().get(60, TimeUnit.SECONDS)) {
                out.println(line(session));
            }
            return ExitCodes.OK;
        }
    }

    /** {@code 3f2a...  laptop  since 2026-11-27 10:00, last 2026-11-27 12:00 from 127.0.0.1 (this device)}. */
    static String line(DeviceSession session) {
        return String.format("%s  %-16s since %s, last %s from %s%s", session.id(), Terminal.escape(session.device()),
                TIME.format(session.created()), TIME.format(session.lastSeen()), Terminal.escape(session.address()),
                session.current() ? "  (this device)" : "");
    }
}
