package dev.fastchat.app;

import dev.fastchat.client.ChatMessage;
import dev.fastchat.client.KeyTrust;
import dev.fastchat.client.Timeline;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
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

    /** The user's name, whose mentions ({@code @name}) are highlighted, and whether they ring the bell. */
    private volatile String me;
    private volatile boolean bell;

    ChatView(LineReader reader, boolean colour, ZoneId zone) {
        this.reader = reader;
        this.colour = colour;
        this.zone = zone;
    }

    /** Highlights messages that mention {@code user} (and rings the terminal bell for them, if {@code ring}). */
    void mentionsOf(String user, boolean ring) {
        this.me = user;
        this.bell = ring;
    }

    /** Whether {@code message} is someone else's and mentions this user. */
    boolean mentionsMe(ChatMessage message) {
        String user = me;
        return user != null && !message.outgoing() && !message.deleted() && message.mentions(user);
    }

    /** The bell, for a mention, if wanted. */
    private void ring() {
        if (bell) {
            reader.getTerminal().puts(org.jline.utils.InfoCmp.Capability.bell);
            reader.getTerminal().flush();
        }
    }

    /** A message in full: {@code 14:05 alice: text  ^12}, or {@code 14:05 #team alice: text  ^12} outside its conversation. */
    void message(ChatMessage message, boolean showConversation) {
        message(message, showConversation, (Timeline) null);
    }

    /**
     * A message in full, with what {@code timeline} knows folded in (may be null): the newest text of an edited message
     * marked {@code (edited)}, its reactions counted, the message a reply answers quoted. A reaction or an edit arriving
     * live is a line of its own that names the message it is about by its number ({@code ^12}).
     */
    void message(ChatMessage message, boolean showConversation, Timeline timeline) {
        print(message, showConversation, timeline == null ? seq -> Optional.empty() : timeline::shown);
    }

    /** A message found by a search, as shown (its edits and reactions folded in). */
    void shown(Timeline.Shown shown) {
        print(shown.message(), false, seq -> seq == shown.message().seq() ? Optional.of(shown) : Optional.empty());
    }

    private void print(ChatMessage message, boolean showConversation, java.util.function.LongFunction<Optional<Timeline.Shown>> timeline) {
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
        Optional<Timeline.Shown> shown = timeline.apply(message.seq());
        if (message.reaction() != null) {
            ChatMessage.Reaction reaction = message.reaction();
            line.style(dim()).append(reaction.removed() ? " took back " : " reacted ").style(AttributedStyle.DEFAULT)
                    .append(Terminal.escape(reaction.emoji())).style(dim()).append(reaction.removed() ? " on " : " to ")
                    .append(about(reaction.seq(), timeline)).style(AttributedStyle.DEFAULT);
            Optional<Timeline.Shown> target = timeline.apply(reaction.seq());
            target.ifPresent(t -> line.append(reactions(t)));
            print(line);
            return;
        }
        line.append(": ");
        if (message.edits() != 0) {
            line.style(dim()).append("✎ ").append(about(message.edits(), timeline)).append(": ").style(AttributedStyle.DEFAULT);
        }
        if (message.replyTo() != 0) {
            line.style(dim()).append("[re ").append(about(message.replyTo(), timeline)).append("] ").style(AttributedStyle.DEFAULT);
        }
        boolean deleted = message.deleted() || shown.map(Timeline.Shown::deleted).orElse(false);
        if (deleted) {
            line.style(dim()).append("[deleted]").style(AttributedStyle.DEFAULT);
        } else if (message.hasFile()) {
            line.style(AttributedStyle.DEFAULT.foreground(AttributedStyle.CYAN)).append(ReadCommand.fileLine(message.file()))
                    .style(AttributedStyle.DEFAULT).style(dim()).append("  (/save " + Terminal.escape(message.file().fileId()) + ")")
                    .style(AttributedStyle.DEFAULT);
        } else if (mentionsMe(message)) {
            line.style(AttributedStyle.DEFAULT.foreground(AttributedStyle.YELLOW).bold())
                    .append(body(shown.map(Timeline.Shown::text).orElse(message.text()))).style(AttributedStyle.DEFAULT);
            ring();
        } else {
            line.append(body(shown.map(Timeline.Shown::text).orElse(message.text())));
        }
        if (shown.map(Timeline.Shown::edited).orElse(false) && !deleted) {
            line.style(dim()).append(" (edited)").style(AttributedStyle.DEFAULT);
        }
        shown.ifPresent(s -> line.append(reactions(s)));
        if (message.trust() == KeyTrust.KEY_CHANGED) {
            line.style(AttributedStyle.DEFAULT.foreground(AttributedStyle.RED).bold())
                    .append("  [key changed: /keys verify ").append(Terminal.escape(message.sender())).append(']')
                    .style(AttributedStyle.DEFAULT);
        }
        line.style(dim()).append("  ^" + message.seq()).style(AttributedStyle.DEFAULT);
        print(line);
    }

    /** Message {@code seq} named in a line about it: {@code ^12 (alice: the first words…)} when it is known. */
    private static String about(long seq, java.util.function.LongFunction<Optional<Timeline.Shown>> timeline) {
        Optional<Timeline.Shown> target = timeline.apply(seq);
        return "^" + seq + target.map(t -> " (" + Terminal.escape(t.message().sender()) + ": " + preview(t) + ")").orElse("");
    }

    /** The first words of a message as shown, escaped. */
    static String preview(Timeline.Shown shown) {
        if (shown.deleted()) {
            return "[deleted]";
        }
        String text = shown.message().hasFile() ? "[file] " + shown.message().file().name() : shown.text().lines().findFirst().orElse("");
        if (text.codePointCount(0, text.length()) > 30) {
            text = text.substring(0, text.offsetByCodePoints(0, 30)) + "…";
        }
        return Terminal.escape(text);
    }

    /** {@code   👍 2  ❤️ 1}: the reactions that stand on a message, counted, or nothing. */
    static String reactions(Timeline.Shown shown) {
        StringBuilder text = new StringBuilder();
        shown.reactions().forEach((emoji, members) -> text.append("  ").append(Terminal.escape(emoji)).append(' ').append(members.size()));
        return text.toString();
    }

    /** A one-line notice of a message in a conversation that is not open. */
    void notice(ChatMessage message, long unread) {
        notice(message, unread, 0);
    }

    /** A one-line notice of a message in a conversation that is not open, with the mentions of this user there. */
    void notice(ChatMessage message, long unread, long mentions) {
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
        line.style(dim()).append(" (" + unread + " unread" + (mentions > 0 ? ", " + mentions + " mentioning you" : "")
                + ", /open " + conversation + "): ").style(AttributedStyle.DEFAULT);
        if (mentionsMe(message)) {
            line.style(AttributedStyle.DEFAULT.foreground(AttributedStyle.YELLOW).bold()).append(preview).style(AttributedStyle.DEFAULT);
            ring();
        } else {
            line.append(preview);
        }
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
