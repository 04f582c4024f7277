package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fastchat chat}: the interactive terminal client. */
@Command(name = "chat", mixinStandardHelpOptions = true,
        header = "Chats interactively in the terminal (line editor, live messages, /help inside).",
        description = "Chat interactively: shows your unread messages (direct messages and groups apart), then opens a line "
                + "editor with history, emacs keys and Tab completion of commands and names. Messages, presence and "
                + "group changes print above the line you are typing. Type /help inside for the commands. The password "
                + "is asked without echo (or taken from FASTCHAT_PASSWORD). A lost connection is reported and repaired "
                + "by reconnecting with backoff. Colours are off when stdout is not a terminal or NO_COLOR is set.")
final class ChatCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Option(names = "--register", description = "create the account first (the password is asked twice)")
    boolean register;

    @Option(names = "--bell", paramLabel = "WHEN", defaultValue = "mentions",
            description = "ring the terminal bell: 'mentions' (when someone writes @you; the default) or 'off'")
    String bell;

    @Override
    public Integer call() throws Exception {
        try (Terminal terminal = TerminalBuilder.builder().name("fastchat").system(true).dumb(true).build()) {
            boolean colour = System.getenv("NO_COLOR") == null && !terminal.getType().startsWith(Terminal.TYPE_DUMB);
            DefaultParser parser = new DefaultParser(); // chat text is not shell syntax: no quotes, no escapes
            parser.setQuoteChars(new char[0]);
            parser.setEscapeChars(new char[0]);
            ChatShell shell = new ChatShell();
            LineReader reader = LineReaderBuilder.builder().terminal(terminal).appName("fastchat").parser(parser)
                    .completer(shell.completer())
                    .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                    // An undo state per key copies the whole line: a paste of 70 KiB typed key by key (a terminal
                    // without bracketed paste) took minutes and a gigabyte. Ctrl-C clears a line instead.
                    .option(LineReader.Option.DISABLE_UNDO, true)
                    .variable(LineReader.BELL_STYLE, "none")
                    .build();
            if (!bell.equals("mentions") && !bell.equals("off")) {
                throw new IllegalArgumentException("--bell is 'mentions' or 'off', not '" + bell + "'");
            }
            ChatView view = new ChatView(reader, colour, ZoneId.systemDefault());
            view.mentionsOf(options.user, bell.equals("mentions"));
            shell.show(view);
            try (ChatClient client = options.builder().listener(shell).autoReconnect(true).build()) {
                ClientOptions.connect(client);
                if (register || client.resumeKept(options.user).get(60, TimeUnit.SECONDS).isEmpty()) {
                    // A reader of its own, so that the password never enters the line history.
                    char[] password = password(LineReaderBuilder.builder().terminal(terminal).build());
                    try {
                        if (register) {
                            client.register(options.user, password).get(60, TimeUnit.SECONDS);
                        } else {
                            client.login(options.user, password).get(60, TimeUnit.SECONDS);
                        }
                    } finally {
                        Arrays.fill(password, '\0');
                    }
                }
                shell.run(client, reader);
                terminal.writer().println("bye");
                terminal.flush();
                return ExitCodes.OK;
            }
        }
    }

    /** From {@code FASTCHAT_PASSWORD}, or asked on the terminal without echo (twice for a new account). */
    private char[] password(LineReader reader) {
        String fromEnvironment = System.getenv("FASTCHAT_PASSWORD");
        if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
            return fromEnvironment.toCharArray();
        }
        try {
            String password = reader.readLine("Password for " + options.user + ": ", '\0');
            if (password.isEmpty()) {
                throw new IllegalArgumentException("the password is empty");
            }
            if (register && !password.equals(reader.readLine("Repeat it: ", '\0'))) {
                throw new IllegalArgumentException("the passwords differ");
            }
            return password.toCharArray();
        } catch (UserInterruptException | EndOfFileException e) {
            throw new IllegalArgumentException("no password given");
        }
    }
}
