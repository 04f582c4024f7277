package dev.fastchat.app;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.fastchat.client.ChatClient;
import dev.fastchat.client.ChatMessage;
import dev.fastchat.client.ConversationUnread;
import dev.fastchat.client.KeyTrust;
import dev.fastchat.client.MessageStatus;
import dev.fastchat.client.Target;
import dev.fastchat.client.Timeline;
import dev.fastchat.client.UnreadSummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fastchat read}. */
@Command(name = "read", mixinStandardHelpOptions = true,
        header = "Prints decrypted messages, oldest first, one per line: time, conversation, sender and text.",
        description = "With --with or --group: the newest messages of that conversation (--unread: only the unread ones). "
                + "Without: the unread messages of every conversation, direct messages and groups apart. What is "
                + "printed is marked read (for all of the user's devices) unless --keep-unread is given.")
final class ReadCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @ArgGroup(exclusive = true)
    TargetOptions target;

    @Option(names = "--unread", description = "only unread messages")
    boolean unread;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "most messages of a conversation (default ${DEFAULT-VALUE}, at most 200)")
    int limit;

    @Option(names = "--json", description = "one JSON object per line")
    boolean json;

    @Option(names = "--keep-unread", description = "do not mark what is printed as read")
    boolean keepUnread;

    @Option(names = "--search", paramLabel = "TEXT", description = "with --with or --group: the messages that contain TEXT "
            + "(case aside), each with the one before and after it; searched here, the server cannot")
    String search;

    @Option(names = "--depth", paramLabel = "N", defaultValue = "1000", description = "with --search: how many of the newest "
            + "messages to search (default ${DEFAULT-VALUE})")
    int depth;

    @Override
    public Integer call() throws Exception {
        if (limit < 1 || limit > 200) {
            throw new IllegalArgumentException("--limit must be from 1 to 200");
        }
        PrintWriter out = spec.commandLine().getOut();
        if (search != null && target == null) {
            throw new IllegalArgumentException("--search needs a conversation: --with USER or --group GROUP");
        }
        if (depth < 1 || depth > 100_000) {
            throw new IllegalArgumentException("--depth must be from 1 to 100000");
        }
        try (ChatClient client = options.loggedIn()) {
            if (search != null) {
                List<dev.fastchat.client.Messages.SearchHit> hits = client.messages().search(target.target(), search, depth)
                        .get(300, TimeUnit.SECONDS);
                for (dev.fastchat.client.Messages.SearchHit hit : hits) {
                    if (json) {
                        out.println(json(hit.match().message(), hit.match(), null, false));
                    } else {
                        out.println("--");
                        hit.before().ifPresent(before -> out.println("  " + line(before.message(), before, options.user)));
                        out.println("> " + line(hit.match().message(), hit.match(), options.user));
                        hit.after().ifPresent(after -> out.println("  " + line(after.message(), after, options.user)));
                    }
                }
                if (!json) {
                    out.println(hits.size() + (hits.size() == 1 ? " message" : " messages") + " found");
                }
                out.flush();
                return ExitCodes.OK;
            }
            List<ChatMessage> messages;
            if (target != null) {
                Target conversation = target.target();
                messages = new ArrayList<>(client.history(conversation, 0, limit).get(60, TimeUnit.SECONDS));
                if (unread) {
                    UnreadSummary summary = client.unread().get(60, TimeUnit.SECONDS);
                    long readSeq = summary.conversations().stream()
                            .filter(c -> messages.isEmpty() || c.conversationId().equals(messages.getFirst().conversationId()))
                            .mapToLong(ConversationUnread::readSeq).findFirst().orElse(0);
                    messages.removeIf(m -> m.seq() <= readSeq || m.outgoing());
                }
                messages.sort(Comparator.comparingLong(ChatMessage::seq));
                Map<Long, MessageStatus> statuses = new java.util.HashMap<>();
                boolean fetched = false;
                for (ChatMessage message : messages.reversed()) {
                    if (message.outgoing() && message.about() == 0 && !message.deleted()) {
                        statuses.put(message.seq(), (fetched ? client.receipts().known(conversation, message.seq())
                                : client.receipts().status(conversation, message.seq())).get(60, TimeUnit.SECONDS));
                        fetched = true;
                    }
                }
                this.statuses = statuses;
                print(out, messages);
            } else {
                UnreadSummary summary = client.unread().get(60, TimeUnit.SECONDS);
                List<ChatMessage> missed = client.sync().get(120, TimeUnit.SECONDS);
                messages = missed.stream().filter(m -> !m.outgoing()).toList();
                List<ChatMessage> direct = messages.stream().filter(m -> !m.conversation().group()).toList();
                List<ChatMessage> groups = messages.stream().filter(m -> m.conversation().group()).toList();
                if (!json) {
                    out.printf("Direct messages: %d unread%s%n", summary.directUnread(), mentioning(direct));
                }
                print(out, direct);
                if (!json) {
                    out.printf("Groups: %d unread%s%n", summary.groupUnread(), mentioning(groups));
                }
                print(out, groups);
            }
            if (!keepUnread) {
                Map<String, Long> newest = messages.stream()
                        .collect(Collectors.toMap(ChatMessage::conversationId, ChatMessage::seq, Math::max));
                for (Map.Entry<String, Long> entry : newest.entrySet()) {
                    client.markRead(entry.getKey(), entry.getValue()).get(60, TimeUnit.SECONDS);
                }
            }
            return ExitCodes.OK;
        }
    }

    /**
     * Prints messages oldest first, with the edits and reactions among them folded into the messages they are about;
     * those about a message not printed here are printed as lines of their own.
     */
    /** {@code , 2 mentioning you}, or nothing. */
    private String mentioning(List<ChatMessage> messages) {
        long count = messages.stream().filter(m -> !m.outgoing() && m.mentions(options.user)).count();
        return count == 0 ? "" : ", " + count + " mentioning you";
    }

    /** How far this user's messages printed with --with or --group got, by seq. */
    private Map<Long, MessageStatus> statuses = Map.of();

    private void print(PrintWriter out, List<ChatMessage> messages) throws IOException {
        Map<String, Timeline> timelines = new java.util.HashMap<>();
        messages.forEach(m -> timelines.computeIfAbsent(m.conversationId(), id -> new Timeline()).add(m));
        for (ChatMessage message : messages) {
            Timeline timeline = timelines.get(message.conversationId());
            if (timeline.folded(message)) {
                continue; // folded in
            }
            Timeline.Shown shown = timeline.shown(message.seq()).orElse(null);
            MessageStatus status = statuses.get(message.seq());
            boolean mentionsMe = !message.outgoing() && message.mentions(options.user);
            out.println(json ? json(message, shown, status, mentionsMe)
                    : line(message, shown, options.user) + (status == null ? "" : statusLine(status)) + (mentionsMe ? "  [mentions you]" : ""));
        }
        out.flush();
    }

    static String line(ChatMessage message, String me) {
        return line(message, null, me);
    }

    /** One message as a line; {@code shown} (may be null) folds in its edits and reactions. */
    static String line(ChatMessage message, Timeline.Shown shown, String me) {
        String sender = Terminal.escape(message.sender());
        String conversation = Terminal.escape(message.conversation().name());
        String where = message.conversation().group() ? "#" + conversation + " " : "";
        String to = !message.conversation().group() && message.outgoing() ? " -> " + conversation : "";
        String warning = message.trust() == KeyTrust.KEY_CHANGED ? " [KEY CHANGED: verify with 'fastchat keys verify --user " + me + " " + sender + "']" : "";
        String body = message.hasFile() ? fileLine(message.file()) : Terminal.escape(shown != null ? shown.text() : message.text());
        if (message.deleted() || (shown != null && shown.deleted())) {
            body = "[deleted]";
        } else if (message.reaction() != null) {
            body = (message.reaction().removed() ? "took back " : "reacted ") + Terminal.escape(message.reaction().emoji())
                    + (message.reaction().removed() ? " on #" : " to #") + message.reaction().seq();
        } else if (message.edits() != 0) {
            body = "(edit of #" + message.edits() + ") " + body;
        }
        if (message.replyTo() != 0) {
            body = "(reply to #" + message.replyTo() + ") " + body;
        }
        if (shown != null && shown.edited() && !shown.deleted()) {
            body += " (edited)";
        }
        if (shown != null) {
            body += ChatView.reactions(shown);
        }
        String verified = message.trust() == KeyTrust.VERIFIED ? " (verified)" : "";
        return TIME.format(message.serverTime()) + "  #" + message.seq() + "  " + where + sender + verified + to + ": " + body + warning;
    }

    /** {@code  [read]}, or {@code  [delivered to 2 of 3, read by 1]} in a group. */
    static String statusLine(MessageStatus status) {
        if (status.recipients() <= 1) {
            return "  [" + status.state() + "]";
        }
        return "  [delivered to " + status.deliveredTo().size() + " of " + status.recipients() + ", read by " + status.readBy().size() + "]";
    }

    /** {@code [file] cat.png (image/png, 640x480, 41.2 KiB) id 3f...: fastchat fetch-file 3f...}. */
    static String fileLine(dev.fastchat.client.SharedFile file) {
        String dimensions = file.width() > 0 ? ", " + file.width() + "x" + file.height() : "";
        return "[file] " + Terminal.escape(file.name()) + " (" + Terminal.escape(file.mediaType()) + dimensions + ", "
                + Sizes.human(file.size()) + ") id " + Terminal.escape(file.fileId());
    }

    static String json(ChatMessage message) throws IOException {
        return json(message, null, null, false);
    }

    /**
     * One message as a JSON object; {@code shown} (may be null) folds in its edits and reactions: {@code text} is then
     * the newest edit's, with {@code edited} and {@code reactions} ({@code {"👍": ["bob"]}}).
     */
    static String json(ChatMessage message, Timeline.Shown shown, MessageStatus status, boolean mentionsMe) throws IOException {
        StringWriter buffer = new StringWriter();
        try (JsonGenerator generator = new JsonFactory().createGenerator(buffer)) {
            generator.writeStartObject();
            generator.writeStringField("conversation", message.conversationId());
            generator.writeStringField("kind", message.conversation().group() ? "group" : "direct");
            generator.writeStringField("with", message.conversation().name());
            generator.writeNumberField("seq", message.seq());
            generator.writeStringField("sender", message.sender());
            generator.writeBooleanField("outgoing", message.outgoing());
            generator.writeStringField("sent_at", message.sentAt().toString());
            generator.writeStringField("server_time", message.serverTime().toString());
            generator.writeStringField("type", message.reaction() != null ? "reaction" : message.edits() != 0 ? "edit" : "message");
            boolean deleted = message.deleted() || (shown != null && shown.deleted());
            generator.writeStringField("text", deleted ? "" : shown != null ? shown.text() : message.text());
            if (deleted) {
                generator.writeBooleanField("deleted", true);
            }
            if (message.replyTo() != 0) {
                generator.writeNumberField("reply_to", message.replyTo());
            }
            if (message.edits() != 0) {
                generator.writeNumberField("edits", message.edits());
            }
            if (message.reaction() != null) {
                generator.writeObjectFieldStart("reaction");
                generator.writeNumberField("seq", message.reaction().seq());
                generator.writeStringField("emoji", message.reaction().emoji());
                generator.writeBooleanField("removed", message.reaction().removed());
                generator.writeEndObject();
            }
            if (shown != null && shown.edited() && !deleted) {
                generator.writeBooleanField("edited", true);
            }
            if (shown != null && !shown.reactions().isEmpty()) {
                generator.writeObjectFieldStart("reactions");
                for (Map.Entry<String, List<String>> reaction : shown.reactions().entrySet()) {
                    generator.writeArrayFieldStart(reaction.getKey());
                    for (String member : reaction.getValue()) {
                        generator.writeString(member);
                    }
                    generator.writeEndArray();
                }
                generator.writeEndObject();
            }
            if (message.hasFile()) {
                generator.writeObjectFieldStart("file");
                generator.writeStringField("id", message.file().fileId());
                generator.writeStringField("name", message.file().name());
                generator.writeNumberField("size", message.file().size());
                generator.writeStringField("media_type", message.file().mediaType());
                if (message.file().width() > 0) {
                    generator.writeNumberField("width", message.file().width());
                    generator.writeNumberField("height", message.file().height());
                }
                generator.writeEndObject();
            }
            if (mentionsMe) {
                generator.writeBooleanField("mentions_me", true);
            }
            if (status != null) {
                generator.writeStringField("status", status.state());
                generator.writeArrayFieldStart("delivered_to");
                for (String member : status.deliveredTo()) {
                    generator.writeString(member);
                }
                generator.writeEndArray();
                generator.writeArrayFieldStart("read_by");
                for (String member : status.readBy()) {
                    generator.writeString(member);
                }
                generator.writeEndArray();
            }
            generator.writeStringField("key", message.trust().name().toLowerCase(java.util.Locale.ROOT));
            generator.writeEndObject();
        }
        return buffer.toString();
    }
}
