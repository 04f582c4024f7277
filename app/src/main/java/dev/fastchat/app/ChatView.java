package dev.fastchat.app;

import dev.fastchat.client.ChatMessage;
import dev.fastchat.client.KeyTrust;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.jline.reader.LineReader;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStringBuilder;
import org.jline.utils.AttributedStyle;

/**
 * How the chat screen looks: one compact line per message (local time, sender, text), sender names in a
 * colour of their own, the user's own messages marked, notices dimmed, errors in red. Everything is printed
 * above the prompt, so what the user is typing stays where it is. Without colour (stdout not a terminal,
 * or {@code NO_COLOR} set) the same lines are plain text.
 *
 * <p>Text from other users never reaches the terminal raw: control characters and escape sequences are
 * shown escaped ({@code \x{1b}}), and a newline inside a message continues on an indented line.
 */
final class ChatView {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm");
    private static final int[] NAME_COLOURS = {AttributedStyle.CYAN, AttributedStyle.GREEN, AttributedStyle.MAGENTA,
            AttributedStyle.YELLOW, AttributedStyle.BLUE, AttributedStyle.RED};
    private static final String CONTINUATION = "\n        ";

    private final LineReader reader;
    private final boolean colour;
    private final ZoneId zone;

    ChatView(LineReader reader, boolean colour, ZoneId zone) {
        this.reader = reader;
        this.colour = colour;
        this.zone = zone;
    }

    /** A message in full: {@code 14:05 alice: text}, or {@code 14:05 #team alice: text} outside its conversation. */
    void message(ChatMessage message, boolean showConversation) {
        AttributedStringBuilder line = new AttributedStringBuilder();
        line.style(dim()).append(time(message.serverTime())).append(' ').style(AttributedStyle.DEFAULT);
        if (showConversation && message.conversation().group()) {
            line.style(dim()).append('#').append(Terminal.escape(message.conversation().name())).append(' ').style(AttributedStyle.DEFAULT);
        }
        if (message.outgoing()) {
            line.style(AttributedStyle.BOLD).append("» ").append(Terminal.escape(message.sender()));
            if (showConversation && !message.conversation().group()) {
                line.append(" → ").append(Terminal.escape(message.conversation().name()));
            }
            line.style(AttributedStyle.DEFAULT);
        } else {
            line.style(nameStyle(message.sender())).append(Terminal.escape(message.sender())).style(AttributedStyle.DEFAULT);
            if (message.trust() == KeyTrust.VERIFIED) {
                line.style(AttributedStyle.DEFAULT.foreground(AttributedStyle.GREEN)).append(" ✓").style(AttributedStyle.DEFAULT);
            }
        }
        line.append(": ");
        if (message.hasFile()) {
            line.style(AttributedStyle.DEFAULT.foreground(AttributedStyle.CYAN)).append(ReadCommand.fileLine(message.file()))
                    .style(AttributedStyle.DEFAULT).style(dim()).append("  (/save " + Terminal.escape(message.file().fileId()) + ")")
                    .style(AttributedStyle.DEFAULT);
        } else {
            line.append(body(message.text()));
        }
        if (message.trust() == KeyTrust.KEY_CHANGED) {
            line.style(AttributedStyle.DEFAULT.foreground(AttributedStyle.RED).bold())
                    .append("  [key changed: /keys verify ").append(Terminal.escape(message.sender())).append(']')
                    .style(AttributedStyle.DEFAULT);
        }
        print(line);
    }

    /** A one-line notice of a message in a conversation that is not open. */
    void notice(ChatMessage message, long unread) {
        String preview = message.hasFile() ? "[file] " + Terminal.escape(message.file().name())
                : Terminal.escape(message.text().lines().findFirst().orElse(""));
        if (preview.codePointCount(0, preview.length()) > 40) {
            preview = preview.substring(0, preview.offsetByCodePoints(0, 40)) + "…";
        }
        AttributedStringBuilder line = new AttributedStringBuilder();
        line.style(dim()).append(time(message.serverTime())).append(" · ").style(AttributedStyle.DEFAULT)
                .style(nameStyle(message.sender())).append(Terminal.escape(message.sender())).style(AttributedStyle.DEFAULT);
        String conversation = Terminal.escape(message.conversation().name());
        if (message.conversation().group()) {
            line.append(" in #").append(conversation);
        }
        line.style(dim()).append(" (" + unread + " unread, /open " + conversation + "): ")
                .style(AttributedStyle.DEFAULT).append(preview);
        print(line);
    }

    /**
     * Something that happened (presence, membership, connection), dimmed. Like {@link #plain} and {@link #error},
     * the whole line is escaped: the names, ids and reasons in it come from other users or the server.
     */
    void info(String text) {
        print(new AttributedStringBuilder().style(dim()).append("-- ").append(Terminal.escape(text)).style(AttributedStyle.DEFAULT));
    }

    /** A plain line (help, lists, results), escaped. */
    void plain(String text) {
        print(new AttributedStringBuilder().append(Terminal.escape(text)));
    }

    /** A failure, as one clear line, escaped. */
    void error(String text) {
        print(new AttributedStringBuilder().style(AttributedStyle.DEFAULT.foreground(AttributedStyle.RED)).append("!! ")
                .append(Terminal.escape(text)).style(AttributedStyle.DEFAULT));
    }

    /** The prompt: the open conversation, or {@code fastchat} when none is. */
    String prompt(String open) {
        String label = open == null ? "fastchat" : open;
        if (!colour) {
            return "[" + label + "] ";
        }
        return new AttributedStringBuilder().style(AttributedStyle.BOLD).append("[").append(label).append("]")
                .style(AttributedStyle.DEFAULT).append(' ').toAnsi(reader.getTerminal());
    }

    /** A name in its colour: the same name always gets the same one. */
    AttributedStyle nameStyle(String name) {
        return AttributedStyle.DEFAULT.foreground(NAME_COLOURS[Math.floorMod(name.hashCode(), NAME_COLOURS.length)]).bold();
    }

    private String time(Instant instant) {
        return TIME.format(instant.atZone(zone));
    }

    private static AttributedStyle dim() {
        return AttributedStyle.DEFAULT.faint();
    }

    /** Received text, safe to print: escaped line by line, lines after the first indented. */
    static String body(String text) {
        return java.util.Arrays.stream(text.split("\n", -1)).map(Terminal::escape)
                .collect(java.util.stream.Collectors.joining(CONTINUATION));
    }

    private void print(AttributedStringBuilder line) {
        AttributedString text = line.toAttributedString();
        if (colour) {
            reader.printAbove(text);
        } else {
            reader.printAbove(text.toString());
        }
    }
}
