package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import dev.fastchat.client.ChatException;
import dev.fastchat.client.ChatGroup;
import dev.fastchat.client.ChatListener;
import dev.fastchat.client.ChatMessage;
import dev.fastchat.client.DirectoryEntry;
import dev.fastchat.client.GroupInvitation;
import dev.fastchat.client.GroupMember;
import dev.fastchat.client.KeyTrust;
import dev.fastchat.client.KeyVerification;
import dev.fastchat.client.MembershipEvent;
import dev.fastchat.client.Target;
import dev.fastchat.client.Timeline;
import dev.fastchat.client.UnreadSummary;
import dev.fastchat.client.UserPresence;
import dev.fastchat.protocol.MessageLimits;
import dev.fastchat.protocol.v1.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;
import org.jline.reader.UserInterruptException;

/**
 * The interactive part of {@code fastchat chat}: reads lines, runs {@code /commands}, sends plain lines to
 * the open conversation, and shows what arrives (through {@link ChatListener}, on the client's event
 * thread, printed above the prompt). Every failure is one line; the shell keeps running after any of them.
 */
final class ChatShell implements ChatListener {
    /** A command: its name, the arguments it takes, what it does, and how. */
    private record Command(String name, String usage, String help, int minArgs, Handler handler) {}

    @FunctionalInterface
    private interface Handler {
        void run(List<String> args, String rest) throws Exception;
    }

    @FunctionalInterface
    private interface Action {
        void run() throws Exception;
    }

    private static final int HISTORY_PAGE = 20;
    /** How many of the newest messages /search looks through. */
    private static final int SEARCH_DEPTH = 1000;
    private static final long TIMEOUT_SECONDS = 60;
    /** How often a typing notice goes out while the user types, and how long one is shown (a little longer). */
    private static final Duration TYPING_REPEAT = Duration.ofSeconds(3);
    private static final Duration TYPING_SHOWN = Duration.ofSeconds(6);

    private ChatView view;
    private final Map<String, Command> commands = new LinkedHashMap<>();
    /** Unread messages per conversation id, as this session counts them. */
    private final Map<String, Long> unread = new ConcurrentHashMap<>();
    /** Unread messages that mention this user, per conversation id (this session's count). */
    private final Map<String, Long> mentions = new ConcurrentHashMap<>();
    /** The members of the open group, for completing {@code @name}. */
    private volatile List<String> openMembers = List.of();
    /** Names seen (users and groups), for completion. */
    private final Set<String> users = ConcurrentHashMap.newKeySet();
    private final Set<String> groups = ConcurrentHashMap.newKeySet();
    private ChatClient client;
    private String me;
    private volatile Target open;
    /** The last message being sent: the next one goes after it. */
    private CompletableFuture<?> sending = CompletableFuture.completedFuture(null);
    /**
     * Where {@code /history} continues in the open conversation: before this seq (0: from the newest). A message
     * shown live starts it over from the newest, so paging back covers what arrived in this session too.
     */
    private volatile long historyBefore;
    private LineReader reader;
    /** Shown after the prompt while the connection is being repaired (one line that updates, not one per try). */
    private volatile String status = "";
    /** The server no longer knows the session: the next line read asks for the password. */
    private volatile boolean sessionEnded;
    /** Membership changes this shell made and reported itself: the server's push of each is not shown again. */
    private final Set<String> ownChanges = ConcurrentHashMap.newKeySet();
    private final LongLineGuard longLines = new LongLineGuard();
    /** What this session has seen of each conversation, to fold edits and reactions in and to find the message a command means. */
    private final Map<String, Timeline> timelines = new ConcurrentHashMap<>();
    private final Map<Target, String> conversationIds = new ConcurrentHashMap<>();

    ChatShell() {
        add("help", "", "list the commands", 0, (a, r) -> help());
        add("open", "NAME", "open a conversation with a user or a group: plain lines then go there", 1, (a, r) -> open(a.getFirst()));
        add("dm", "NAME TEXT", "send TEXT to a user (or a group) without opening it", 2, this::dm);
        add("history", "[N]", "show the last N messages of the open conversation; again: the N before", 0, (a, r) -> history(a));
        add("unread", "", "unread counts, direct messages and groups apart", 0, (a, r) -> unread());
        add("who", "", "who of your contacts is online", 0, (a, r) -> who());
        add("users", "", "every registered user (online ones marked)", 0, (a, r) -> directory(false));
        add("groups", "", "the groups you are in", 0, (a, r) -> groups());
        add("group", "create|add|remove|leave|members|promote ...", "manage groups (/group alone explains)", 1, this::group);
        add("reply", "[^N] TEXT", "answer message N (shown as ^N; default: the newest of the others) quoting it", 1, this::reply);
        add("edit", "[^N] TEXT", "replace the text of your message N (default: your newest)", 1, this::edit);
        add("react", "[^N] EMOJI", "react to message N (default: the newest of the others) with EMOJI; again: take it back", 1, this::react);
        add("delete", "[^N]", "delete your message N (default: your newest) for everyone", 0, this::delete);
        add("search", "TEXT", "the messages of the open conversation that contain TEXT, in context (searched here)", 1,
                (a, r) -> search(r));
        add("info", "[^N]", "who got and who read your message N (default: your newest)", 0, this::info);
        add("send-file", "PATH", "send a file to the open conversation (encrypted; in the background)", 1, (a, r) -> sendFile(r));
        add("save", "FILE_ID [DIR]", "download a shared file, checked, into DIR (default ~/Downloads/fastchat)", 1, this::save);
        add("invites", "", "your invitations to groups", 0, (a, r) -> invitations());
        add("accept", "GROUP", "join a group you were invited to", 1, (a, r) -> accept(a.getFirst()));
        add("decline", "GROUP", "decline an invitation to a group", 1, (a, r) -> decline(a.getFirst()));
        add("block", "[USER]", "block USER: no direct messages or group additions from them; alone: whom you blocked", 0, this::block);
        add("unblock", "USER", "let USER send you direct messages and add you to groups again", 1, (a, r) -> unblock(a.getFirst()));
        add("sessions", "[end ID]", "your sessions (devices logged in); end one by its id", 0, this::sessions);
        add("keys", "verify|mark-verified|accept USER",
                "show the safety number to compare with USER; record that it matched; or accept USER's new key", 2, this::keys);
        add("quit", "", "leave (Ctrl-D does the same)", 0, (a, r) -> {
            throw new EndOfFileException();
        });
    }

    private void add(String name, String usage, String help, int minArgs, Handler handler) {
        commands.put(name, new Command(name, usage, help, minArgs, handler));
    }

    /** Where the shell prints (set before {@link #run}). */
    void show(ChatView chatView) {
        this.view = chatView;
    }

    /** Completes commands, group subcommands, and user and group names. */
    Completer completer() {
        return (LineReader reader, ParsedLine line, List<Candidate> candidates) -> {
            if (line.word().startsWith("@")) { // a mention: the open conversation's members
                Target current = open;
                List<String> names = current == null ? List.of() : current.group() ? openMembers : List.of(current.name());
                names.stream().filter(name -> !name.equals(me)).forEach(name -> candidates.add(new Candidate("@" + name)));
                return;
            }
            if (line.wordIndex() == 0) {
                commands.keySet().forEach(name -> candidates.add(new Candidate("/" + name, "/" + name, null,
                        commands.get(name).help(), null, null, true)));
                return;
            }
            String command = line.words().getFirst();
            if (command.equals("/group") && line.wordIndex() == 1) {
                List.of("create", "add", "remove", "leave", "members", "promote").forEach(s -> candidates.add(new Candidate(s)));
            } else if (command.equals("/keys") && line.wordIndex() == 1) {
                List.of("verify", "mark-verified", "accept").forEach(s -> candidates.add(new Candidate(s)));
            } else {
                users.forEach(name -> candidates.add(new Candidate(name)));
                groups.forEach(name -> candidates.add(new Candidate(name)));
            }
        };
    }

    /** Runs the shell until {@code /quit}, Ctrl-D, or the end of input. */
    void run(ChatClient chatClient, LineReader reader) {
        this.client = chatClient;
        this.reader = reader;
        this.me = chatClient.session().orElseThrow().username();
        longLines.install(reader);
        installTypingNotices(reader);
        attempt(this::welcome);
        String typed = null;
        while (true) {
            String line;
            try {
                line = reader.readLine(prompt(), null, typed);
                typed = null;
                long bytes = longLines.oversizedBytes(line);
                if (bytes > 0) {
                    view.error(String.format("not sent: the message is %.1f KiB; the limit is %d KiB", bytes / 1024.0,
                            MessageLimits.MAX_TEXT_BYTES / 1024));
                    continue;
                }
            } catch (UserInterruptException e) {
                continue; // Ctrl-C drops the line being typed, like a shell
            } catch (EndOfFileException e) {
                return;
            }
            try {
                if (sessionEnded) {
                    typed = line.isBlank() ? null : line; // given back once logged in again
                    logInAgain();
                    continue;
                }
                handle(line.strip());
            } catch (EndOfFileException e) {
                return;
            }
        }
    }

    private String prompt() {
        return view.prompt(open == null ? null : (open.group() ? "#" : "") + open.name()) + receiptStatus + typingStatus + status;
    }

    // ---- receipts

    /**
     * {@code (^12 read) }: how far this user's newest message in the open conversation got: sending, sent (stored by the
     * server), then delivered and read as receipts come.
     */
    private volatile String receiptStatus = "";

    @Override
    public void receipt(String conversationId, String member, boolean read, long upToSeq) {
        Target current = open;
        if (current == null || !conversationId.equals(conversationIds.get(current))) {
            return;
        }
        Timeline timeline = timeline(conversationId);
        long newest;
        synchronized (timeline) {
            newest = timeline.shown().reversed().stream().filter(m -> m.message().outgoing() && !m.deleted())
                    .mapToLong(m -> m.message().seq()).findFirst().orElse(0);
        }
        if (newest == 0 || newest > upToSeq) {
            return;
        }
        client.receipts().known(current, newest).thenAccept(status -> {
            if (current.equals(open)) {
                receiptStatus = "(^" + status.seq() + " " + describe(status) + ") ";
                refreshPrompt();
            }
        });
    }

    /** {@code read}, {@code delivered}; in a group {@code read by 2 of 3}. */
    private static String describe(dev.fastchat.client.MessageStatus status) {
        if (status.recipients() <= 1) {
            return status.state();
        }
        return !status.readBy().isEmpty() ? "read by " + status.readBy().size() + " of " + status.recipients()
                : "delivered to " + status.deliveredTo().size() + " of " + status.recipients();
    }

    private void search(String text) throws Exception {
        if (open == null) {
            throw new IllegalArgumentException("no conversation is open: /open NAME first");
        }
        List<dev.fastchat.client.Messages.SearchHit> hits = await(client.messages().search(open, text, SEARCH_DEPTH));
        for (dev.fastchat.client.Messages.SearchHit hit : hits) {
            view.info("^" + hit.match().message().seq());
            hit.before().ifPresent(view::shown);
            view.shown(hit.match());
            hit.after().ifPresent(view::shown);
        }
        view.info(hits.isEmpty() ? "no message here contains " + text + " (searched the newest " + SEARCH_DEPTH + ")"
                : hits.size() + (hits.size() == 1 ? " message contains " : " messages contain ") + text);
    }

    private void info(List<String> args, String rest) throws Exception {
        java.util.function.Predicate<Timeline.Shown> mine = m -> m.message().outgoing() && !m.deleted();
        Chosen chosen = choose(args, rest, mine, mine, "a message of yours");
        dev.fastchat.client.MessageStatus status = await(client.receipts().status(chosen.to(), chosen.message().message().seq()));
        view.plain("^" + status.seq() + " (" + ChatView.preview(chosen.message()) + "): " + describe(status));
        view.plain("  delivered to: " + (status.deliveredTo().isEmpty() ? "nobody yet" : String.join(", ", status.deliveredTo())));
        view.plain("  read by: " + (status.readBy().isEmpty() ? "nobody yet" : String.join(", ", status.readBy())));
    }

    // ---- typing notices

    /** Who is typing in the open conversation, and until when (nanoTime) it is shown without a new notice. */
    private final Map<String, Long> typing = new ConcurrentHashMap<>();
    /** {@code (bob is typing…) }, after the prompt; empty when nobody is. */
    private volatile String typingStatus = "";
    /** When this user's last typing notice went out (nanoTime), 0 after a line is sent. */
    private volatile long typingSent;
    private final java.util.concurrent.ScheduledExecutorService typingClock = java.util.concurrent.Executors
            .newSingleThreadScheduledExecutor(Thread.ofVirtual().name("fastchat-typing").factory());

    /** After each key typed into a line for the open conversation, tells its members, once every few seconds. */
    private void installTypingNotices(LineReader lineReader) {
        org.jline.reader.Widget insert = lineReader.getWidgets().get(LineReader.SELF_INSERT);
        lineReader.getWidgets().put(LineReader.SELF_INSERT, () -> {
            boolean done = insert.apply();
            Target to = open;
            long now = System.nanoTime();
            if (to != null && client.isConnected() && !lineReader.getBuffer().toString().startsWith("/")
                    && (typingSent == 0 || now - typingSent > TYPING_REPEAT.toNanos())) {
                typingSent = now;
                client.messages().typing(to, true); // best effort: a notice that fails is news no more
            }
            return done;
        });
    }

    @Override
    public void typing(String conversationId, String sender, boolean isTyping) {
        Target current = open;
        if (current == null || !conversationId.equals(conversationIds.get(current))) {
            return;
        }
        if (isTyping) {
            typing.put(sender, System.nanoTime() + TYPING_SHOWN.toNanos());
            typingClock.schedule(this::showTyping, TYPING_SHOWN.toMillis() + 50, TimeUnit.MILLISECONDS);
        } else {
            typing.remove(sender);
        }
        showTyping();
    }

    /** Puts who is typing now after the prompt (dropping notices that have run out). */
    private void showTyping() {
        long now = System.nanoTime();
        typing.values().removeIf(until -> until - now < 0);
        List<String> names = typing.keySet().stream().sorted().map(Terminal::escape).toList();
        String shown = switch (names.size()) {
            case 0 -> "";
            case 1 -> "(" + names.getFirst() + " is typing…) ";
            case 2 -> "(" + names.get(0) + " and " + names.get(1) + " are typing…) ";
            default -> "(" + names.size() + " people are typing…) ";
        };
        if (!shown.equals(typingStatus)) {
            typingStatus = shown;
            refreshPrompt();
        }
    }

    /** Shows the current prompt (and status) again, keeping what is being typed. */
    private void refreshPrompt() {
        LineReader current = reader;
        if (current != null && current.isReading()) {
            if (current instanceof org.jline.reader.impl.LineReaderImpl impl) {
                impl.setPrompt(prompt());
            }
            current.callWidget(LineReader.REDISPLAY); // redraws what changed, clearing what a shorter prompt leaves
        }
    }

    /** Asks for the password until a log-in works (Ctrl-D leaves). */
    private void logInAgain() {
        while (true) {
            String password;
            try {
                password = reader.readLine("Password for " + me + " (Ctrl-D to quit): ", '\0');
            } catch (UserInterruptException e) {
                continue;
            }
            if (password.isEmpty()) {
                continue;
            }
            try {
                await(client.login(me, password.toCharArray()));
                sessionEnded = false;
                status = "";
                view.info("logged in again as " + me);
                return;
            } catch (Exception e) {
                view.error(describe(ExitCodes.unwrap(e)));
            }
        }
    }

    void handle(String line) {
        if (line.isEmpty()) {
            return;
        }
        if (!line.startsWith("/")) {
            if (open == null) {
                view.error("no conversation is open: /open NAME first, or /dm NAME TEXT");
            } else {
                attempt(() -> send(open, line));
            }
            return;
        }
        String[] split = line.substring(1).split("\\s+", 2);
        Command command = commands.get(split[0].toLowerCase(Locale.ROOT));
        if (command == null) {
            view.error("unknown command /" + split[0] + "; /help lists the commands");
            return;
        }
        String rest = split.length > 1 ? split[1] : "";
        List<String> args = rest.isBlank() ? List.of() : List.of(rest.strip().split("\\s+"));
        if (args.size() < command.minArgs()) {
            view.error("usage: /" + command.name() + " " + command.usage());
            return;
        }
        attempt(() -> command.handler().run(args, rest.strip()));
    }

    /** Runs a command; any failure becomes one line. */
    private void attempt(Action action) {
        try {
            action.run();
        } catch (EndOfFileException e) {
            throw e;
        } catch (Exception e) {
            Throwable cause = ExitCodes.unwrap(e);
            if (cause instanceof ChatException chat && chat.code() == ErrorCode.UNAUTHENTICATED && !sessionEnded) {
                sessionEnded("the session ended (logged out elsewhere, or expired)");
                return;
            }
            view.error(describe(cause));
        }
    }

    private static String describe(Throwable failure) {
        if (failure instanceof ChatException chat) {
            return switch (chat.code()) {
                case UNAVAILABLE -> "not connected (" + chat.getMessage() + "); reconnecting by itself";
                case UNTRUSTED_KEY -> chat.getMessage().replaceAll("\\(fastchat keys (verify|accept|mark-verified) --user \\S+ (\\S+)\\)", "(/keys $1 $2)");
                default -> chat.getMessage();
            };
        }
        if (failure instanceof TimeoutException) {
            return "no answer from the server in " + TIMEOUT_SECONDS + " s";
        }
        return failure.getMessage() == null ? failure.toString() : failure.getMessage();
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    // ---- commands

    private void welcome() throws Exception {
        view.info("logged in as " + me + "; /help lists the commands");
        UnreadSummary summary = await(client.unread());
        List<ChatMessage> missed = await(client.sync()).stream().filter(m -> !m.outgoing()).toList();
        summary.conversations().forEach(c -> unread.put(c.conversationId(), c.unread()));
        missed.stream().filter(view::mentionsMe).forEach(m -> mentions.merge(m.conversationId(), 1L, Long::sum));
        view.plain("Direct messages: " + summary.directUnread() + " unread");
        missed.stream().filter(m -> !m.conversation().group()).forEach(m -> view.message(m, true));
        view.plain("Groups: " + summary.groupUnread() + " unread");
        missed.stream().filter(m -> m.conversation().group()).forEach(m -> view.message(m, true));
        await(client.groups().list()).forEach(g -> groups.add(g.name()));
        await(client.directory("", MessageLimits.MAX_DIRECTORY_PAGE, false)).stream()
                .filter(e -> !e.group()).forEach(e -> users.add(e.name()));
    }

    private void help() {
        view.plain("Commands (plain lines go to the open conversation):");
        for (Command command : commands.values()) {
            String synopsis = ("/" + command.name() + " " + command.usage()).strip();
            view.plain(String.format("  %-34s %s", synopsis, command.help()));
        }
        view.plain("Keys: Tab completes commands and names; Up/Down browse what you typed; Ctrl-C clears the line.");
    }

    private Target target(String name) throws Exception {
        if (groups.contains(name)) {
            return Target.group(name);
        }
        if (users.contains(name)) {
            return Target.user(name);
        }
        boolean group = await(client.groups().list()).stream().map(ChatGroup::name).peek(groups::add).anyMatch(name::equals);
        return group ? Target.group(name) : Target.user(name);
    }

    private void open(String name) throws Exception {
        Target target = target(name);
        List<ChatMessage> recent = await(client.history(target, 0, HISTORY_PAGE)); // fails for unknown names
        if (!recent.isEmpty()) { // known by its id before it is open: a typing notice that comes next is shown
            conversationIds.put(target, recent.getFirst().conversationId());
        }
        typing.clear();
        open = target;
        mentions.remove(recent.isEmpty() ? "" : recent.getFirst().conversationId());
        openMembers = target.group() ? await(client.groups().members(target.name())).stream().map(GroupMember::name).toList() : List.of();
        receiptStatus = "";
        showTyping();
        (target.group() ? groups : users).add(target.name());
        view.info("now talking " + (target.group() ? "in #" : "with ") + target.name());
        showPage(recent);
        historyBefore = recent.isEmpty() ? 0 : recent.getLast().seq();
        markRead(recent);
    }

    /** Shows a page of the open conversation, oldest first, with the edits and reactions in it folded into their messages. */
    private void showPage(List<ChatMessage> newestFirst) {
        if (newestFirst.isEmpty()) {
            return;
        }
        Timeline timeline = timeline(newestFirst.getFirst());
        synchronized (timeline) {
            timeline.add(newestFirst);
            for (ChatMessage message : newestFirst.reversed()) {
                if (!timeline.folded(message)) {
                    view.message(message, false, timeline);
                }
            }
        }
    }

    private Timeline timeline(String conversationId) {
        return timelines.computeIfAbsent(conversationId, id -> new Timeline());
    }

    /** The timeline of a message's conversation, which it is then known by. */
    private Timeline timeline(ChatMessage message) {
        conversationIds.put(message.conversation(), message.conversationId());
        return timeline(message.conversationId());
    }

    /** Shows a message as it comes (live, or just sent), after taking it into its conversation's timeline. */
    private void showLive(ChatMessage message, boolean showConversation) {
        Timeline timeline = timeline(message);
        synchronized (timeline) {
            timeline.add(message);
            view.message(message, showConversation, timeline);
        }
    }

    // ---- replies, edits, reactions, deletion

    /** The message a command names ({@code ^N} first among its words), or the newest in the open conversation that fits. */
    private record Chosen(Target to, Timeline.Shown message, String rest) {}

    /**
     * @param fits what the message must be, when named
     * @param newest what the newest message that is meant when none is named must be
     */
    private Chosen choose(List<String> args, String rest, java.util.function.Predicate<Timeline.Shown> fits,
                          java.util.function.Predicate<Timeline.Shown> newest, String what) throws Exception {
        if (open == null) {
            throw new IllegalArgumentException("no conversation is open: /open NAME first");
        }
        Target to = open;
        String remainder = rest;
        long seq = 0;
        if (!args.isEmpty() && args.getFirst().matches("\\^[0-9]{1,18}")) {
            seq = Long.parseLong(args.getFirst().substring(1));
            remainder = rest.substring(args.getFirst().length()).strip();
        }
        String conversationId = conversationIds.get(to);
        if (conversationId == null) {
            conversationId = await(client.history(to, 0, 1)).stream().findFirst().map(ChatMessage::conversationId)
                    .orElseThrow(() -> new IllegalArgumentException("there are no messages here yet"));
            conversationIds.put(to, conversationId);
        }
        Timeline timeline = timeline(conversationId);
        Timeline.Shown chosen;
        synchronized (timeline) {
            if (seq != 0 && timeline.shown(seq).isEmpty()) {
                timeline.add(await(client.history(to, seq + 1, 1)));
            }
            long wanted = seq;
            chosen = (seq != 0 ? timeline.shown(seq).stream() : timeline.shown().reversed().stream().filter(newest)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(wanted != 0 ? "no message ^" + wanted + " here" : "no " + what + " here yet"));
        }
        if (!fits.test(chosen)) {
            throw new IllegalArgumentException("^" + chosen.message().seq() + " is not " + what);
        }
        return new Chosen(to, chosen, remainder);
    }

    private void reply(List<String> args, String rest) throws Exception {
        Chosen chosen = choose(args, rest, m -> !m.deleted(), m -> !m.message().outgoing() && !m.deleted(), "a message of someone else's");
        if (chosen.rest().isBlank()) {
            throw new IllegalArgumentException("usage: /reply [^N] TEXT");
        }
        long seq = chosen.message().message().seq();
        sendInOrder(chosen.to(), () -> client.messages().reply(chosen.to(), seq, chosen.rest()),
                sent -> own(sent, chosen.to(), chosen.rest(), seq, 0, null));
    }

    private void edit(List<String> args, String rest) throws Exception {
        java.util.function.Predicate<Timeline.Shown> mine = m -> m.message().outgoing() && !m.deleted() && !m.message().hasFile();
        Chosen chosen = choose(args, rest, mine, mine, "a text message of yours");
        if (chosen.rest().isBlank()) {
            throw new IllegalArgumentException("usage: /edit [^N] TEXT");
        }
        long seq = chosen.message().message().seq();
        sendInOrder(chosen.to(), () -> client.messages().edit(chosen.to(), seq, chosen.rest()),
                sent -> own(sent, chosen.to(), chosen.rest(), 0, seq, null));
    }

    private void react(List<String> args, String rest) throws Exception {
        Chosen chosen = choose(args, rest, m -> !m.deleted(), m -> !m.message().outgoing() && !m.deleted(), "a message of someone else's");
        String emoji = chosen.rest().strip();
        if (emoji.isEmpty() || emoji.contains(" ")) {
            throw new IllegalArgumentException("usage: /react [^N] EMOJI");
        }
        long seq = chosen.message().message().seq();
        boolean mine = chosen.message().reactions().getOrDefault(emoji, List.of()).contains(me);
        sendInOrder(chosen.to(), () -> mine ? client.messages().unreact(chosen.to(), seq, emoji) : client.messages().react(chosen.to(), seq, emoji),
                sent -> own(sent, chosen.to(), "", 0, 0, new ChatMessage.Reaction(seq, emoji, mine)));
    }

    private void delete(List<String> args, String rest) throws Exception {
        java.util.function.Predicate<Timeline.Shown> mine = m -> m.message().outgoing() && !m.deleted();
        Chosen chosen = choose(args, rest, mine, mine, "a message of yours");
        long seq = chosen.message().message().seq();
        List<Long> deleted = await(client.messages().delete(chosen.to(), seq));
        Timeline timeline = timeline(chosen.message().message().conversationId());
        synchronized (timeline) {
            timeline.deleted(chosen.message().message().senderId(), deleted);
        }
        view.info("deleted ^" + seq + " for everyone");
    }

    /** A message this user just sent, as shown. */
    private ChatMessage own(dev.fastchat.client.SentMessage sent, Target to, String text, long replyTo, long edits,
                            ChatMessage.Reaction reaction) {
        long myId = client.session().map(session -> session.accountId()).orElse(0L);
        return new ChatMessage(sent.conversationId(), to, sent.seq(), myId, me, true, text, sent.serverTime(), sent.serverTime(),
                KeyTrust.PINNED, null, replyTo, edits, reaction, false);
    }

    private void markRead(List<ChatMessage> messages) throws Exception {
        if (!messages.isEmpty()) {
            ChatMessage newest = messages.stream().max(Comparator.comparingLong(ChatMessage::seq)).orElseThrow();
            await(client.markRead(newest.conversationId(), newest.seq()));
            unread.remove(newest.conversationId());
        }
    }

    private void history(List<String> args) throws Exception {
        if (open == null) {
            view.error("no conversation is open: /open NAME first");
            return;
        }
        int count = args.isEmpty() ? HISTORY_PAGE : parseCount(args.getFirst());
        if (historyBefore == 1) {
            view.info("that was the first message");
            return;
        }
        List<ChatMessage> page = await(client.history(open, historyBefore, count));
        if (page.isEmpty()) {
            view.info("no earlier messages");
            return;
        }
        view.info("earlier messages:");
        showPage(page);
        historyBefore = page.getLast().seq();
    }

    private static int parseCount(String text) {
        try {
            int count = Integer.parseInt(text);
            if (count >= 1 && count <= MessageLimits.MAX_HISTORY_PAGE) {
                return count;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("N must be a number from 1 to " + MessageLimits.MAX_HISTORY_PAGE);
    }

    private void dm(List<String> args, String rest) throws Exception {
        String name = args.getFirst();
        send(target(name), rest.substring(name.length()).strip());
    }

    /**
     * Sends in the background, one message after the other (so they keep the order they were typed in);
     * the line is shown once the server has stored it. While the connection is down, the library holds the
     * message and sends it when the connection is back.
     */
    private void send(Target to, String text) {
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MessageLimits.MAX_TEXT_BYTES) {
            view.error(String.format("not sent: the message is %.1f KiB; the limit is %d KiB", bytes / 1024.0,
                    MessageLimits.MAX_TEXT_BYTES / 1024));
            return;
        }
        if (!client.isConnected()) {
            view.info("not connected: the message is sent once the connection is back");
        }
        typingSent = 0; // the message tells the others the typing is over
        sendInOrder(to, () -> client.send(to, text), sent -> own(sent, to, text, 0, 0, null));
    }

    /**
     * Sends in the background after the message before it; shows what was sent (as {@code shown} makes it) once the
     * server has stored it, or one line saying why it was not sent.
     */
    private void sendInOrder(Target to, java.util.function.Supplier<CompletableFuture<dev.fastchat.client.SentMessage>> call,
                             java.util.function.Function<dev.fastchat.client.SentMessage, ChatMessage> shown) {
        if (to.equals(open)) {
            receiptStatus = "(sending…) ";
            refreshPrompt();
        }
        sending = sending.handle((previous, failure) -> null).thenCompose(ignored -> call.get()
                .whenComplete((sent, failure) -> {
                    if (to.equals(open)) {
                        receiptStatus = failure == null ? "(^" + sent.seq() + " sent) " : "";
                        refreshPrompt();
                    }
                    Throwable cause = failure == null ? null : ExitCodes.unwrap(failure);
                    if (cause instanceof ChatException chat && chat.code() == ErrorCode.UNAUTHENTICATED) {
                        if (!sessionEnded) {
                            sessionEnded("the session ended (logged out elsewhere, or expired)");
                        }
                        view.error("not sent to " + to.name() + ": log in again, then send it again");
                    } else if (cause != null) {
                        view.error("not sent to " + to.name() + ": " + describe(cause));
                    } else {
                        if (to.equals(open)) {
                            historyBefore = 0;
                        }
                        showLive(shown.apply(sent), open == null || !open.equals(to));
                    }
                }));
    }

    private void sendFile(String pathText) {
        if (open == null) {
            view.error("no conversation is open: /open NAME first");
            return;
        }
        Path path = expandHome(pathText);
        if (!Files.isRegularFile(path)) {
            view.error(pathText + " is not a readable file");
            return;
        }
        Target to = open;
        long size = path.toFile().length();
        view.info("sending " + path.getFileName() + " (" + Sizes.human(size) + ") to " + to.name() + "...");
        client.files().send(to, path).whenComplete((sent, failure) -> {
            if (failure != null) {
                view.error(path.getFileName() + " was not sent: " + describe(ExitCodes.unwrap(failure)));
            } else {
                view.info("sent " + path.getFileName() + " to " + to.name());
            }
        });
    }

    private void save(List<String> args, String rest) throws Exception {
        Path directory = args.size() > 1 ? expandHome(rest.substring(args.getFirst().length()).strip())
                : FetchFileCommand.defaultDirectory();
        Path saved = await(client.files().fetch(args.getFirst(), directory));
        view.info("saved " + saved + " (" + Sizes.human(Files.size(saved)) + ")");
    }

    private static Path expandHome(String path) {
        return path.startsWith("~/") ? FetchFileCommand.home().resolve(path.substring(2)) : Path.of(path);
    }

    /** A name as the server spells it in its events (case-folded), for matching them. */
    private static String canonical(String name) {
        return dev.fastchat.protocol.Names.canonical(name).orElse(name);
    }

    private static String members(int count) {
        return count == 1 ? "1 member" : count + " members";
    }

    private void unread() throws Exception {
        UnreadSummary summary = await(client.unread());
        view.plain("Direct messages: " + summary.directUnread() + " unread");
        summary.conversations().stream().filter(c -> !c.conversation().group() && c.unread() > 0)
                .forEach(c -> view.plain("  " + c.conversation().name() + ": " + c.unread() + mentionCount(c.conversationId())));
        long groupMentions = summary.conversations().stream().filter(c -> c.conversation().group())
                .mapToLong(c -> mentions.getOrDefault(c.conversationId(), 0L)).sum();
        view.plain("Groups: " + summary.groupUnread() + " unread" + (groupMentions > 0 ? ", " + groupMentions + " mentioning you" : ""));
        summary.conversations().stream().filter(c -> c.conversation().group() && c.unread() > 0)
                .forEach(c -> view.plain("  #" + c.conversation().name() + ": " + c.unread() + mentionCount(c.conversationId())));
    }

    /** {@code  (2 mentioning you)}, or nothing. */
    private String mentionCount(String conversationId) {
        long count = mentions.getOrDefault(conversationId, 0L);
        return count == 0 ? "" : " (" + count + " mentioning you)";
    }

    private void who() throws Exception {
        List<String> online = await(client.whoIsOnline()).stream().filter(UserPresence::online).map(UserPresence::name).toList();
        view.plain(online.isEmpty() ? "none of your contacts is online" : "online: " + String.join(", ", online));
    }

    private void directory(boolean onlineOnly) throws Exception {
        List<String> lines = new ArrayList<>();
        String after = "";
        for (int page = 0; page < 100; page++) { // at most 100 pages of 500
            List<DirectoryEntry> entries = await(client.directory(after, MessageLimits.MAX_DIRECTORY_PAGE, onlineOnly));
            entries.stream().filter(e -> !e.group()).forEach(e -> {
                users.add(e.name());
                lines.add(e.name() + (e.online() ? " (online)" : ""));
            });
            if (entries.size() < MessageLimits.MAX_DIRECTORY_PAGE) {
                break;
            }
            after = entries.getLast().name();
        }
        view.plain(lines.size() + " users: " + String.join(", ", lines));
    }

    private void groups() throws Exception {
        List<ChatGroup> mine = await(client.groups().list());
        mine.forEach(g -> groups.add(g.name()));
        if (mine.isEmpty()) {
            view.plain("you are in no group; /group create NAME makes one");
        }
        mine.forEach(g -> view.plain("  #" + g.name() + "  " + members(g.memberCount()) + (g.admin() ? ", you are admin" : "")
                + unreadSuffix(g.conversationId())));
    }

    private String unreadSuffix(String conversationId) {
        long count = unread.getOrDefault(conversationId, 0L);
        return count == 0 ? "" : ", " + count + " unread";
    }

    private void group(List<String> args, String rest) throws Exception {
        String action = args.getFirst().toLowerCase(Locale.ROOT);
        int needed = switch (action) {
            case "create", "leave", "members" -> 2;
            case "add", "remove", "promote" -> 3;
            default -> -1;
        };
        if (needed < 0 || args.size() != needed) {
            view.error("usage: /group create GROUP | add GROUP USER | remove GROUP USER | promote GROUP USER | leave GROUP"
                    + " | members GROUP");
            return;
        }
        String group = args.get(1);
        switch (action) {
            case "create" -> {
                ChatGroup created = own("created " + canonical(group), () -> await(client.groups().create(group)));
                groups.add(created.name());
                view.info("created #" + created.name() + "; you are its admin (/group add " + created.name() + " USER)");
            }
            case "add" -> {
                ChatGroup changed = own("invited " + canonical(group) + " " + canonical(args.get(2)),
                        () -> refusedAs(client.groups().add(group, args.get(2)), group, args.get(2)));
                view.info(args.get(2) + " invited to #" + changed.name() + "; they join when they accept");
            }
            case "remove" -> {
                ChatGroup changed = own("removed " + canonical(group) + " " + canonical(args.get(2)),
                        () -> refusedAs(client.groups().remove(group, args.get(2)), group, args.get(2)));
                view.info(args.get(2) + " removed from #" + changed.name());
            }
            case "promote" -> {
                own("promoted " + canonical(group) + " " + canonical(args.get(2)),
                        () -> refusedAs(client.groups().promote(group, args.get(2)), group, args.get(2)));
                view.info(args.get(2) + " is now an admin of #" + group);
            }
            case "leave" -> {
                own("left " + canonical(group) + " " + me, () -> await(client.groups().leave(group)));
                groups.remove(group);
                if (open != null && open.equals(Target.group(group))) {
                    open = null;
                }
                view.info("you left #" + group);
            }
            default -> {
                List<GroupMember> members = await(client.groups().members(group));
                view.plain("#" + group + ": " + members(members.size()));
                members.forEach(m -> view.plain("  " + m.name() + (m.admin() ? " (admin)" : "") + (m.online() ? ", online" : "")));
            }
        }
    }

    /** A step that can fail, in a form {@link #own} takes. */
    private interface Step<T> {
        T run() throws Exception;
    }

    /**
     * Runs a membership change of this shell's, noting it first so that the server's event about it is not
     * shown a second time; a change that fails is forgotten (else the next real event like it would be hidden).
     */
    private <T> T own(String change, Step<T> step) throws Exception {
        ownChanges.add(change);
        try {
            return step.run();
        } catch (Exception e) {
            ownChanges.remove(change);
            throw e;
        }
    }

    /** Awaits a membership change, saying who is not a member of what in the user's words. */
    private ChatGroup refusedAs(CompletableFuture<ChatGroup> change, String group, String user) throws Exception {
        try {
            return await(change);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof ChatException chat) {
                switch (chat.code()) {
                    case NOT_A_MEMBER -> throw new ChatException(chat.code(), await(client.groups().list()).stream()
                            .anyMatch(g -> g.name().equals(group)) ? user + " is not a member of " + group
                            : "you are not a member of " + group);
                    case NOT_ADMIN -> throw new ChatException(chat.code(), "only an admin of " + group + " can do that");
                    case UNKNOWN_USER -> throw new ChatException(chat.code(), "there is no user " + user);
                    case UNKNOWN_CONVERSATION -> throw new ChatException(chat.code(), "there is no group " + group);
                    case ALREADY_MEMBER -> throw new ChatException(chat.code(), user + " is already a member of " + group);
                    case BLOCKED -> throw new ChatException(chat.code(), user + " does not accept invitations from you");
                    default -> throw e;
                }
            }
            throw e;
        }
    }

    private void invitations() throws Exception {
        List<GroupInvitation> invitations = await(client.invitations().list());
        if (invitations.isEmpty()) {
            view.info("no invitations");
        }
        invitations.forEach(i -> view.plain("#" + i.group().name() + " from " + i.invitedBy() + " (" + members(i.group().memberCount())
                + "): /accept " + i.group().name() + " or /decline " + i.group().name()));
    }

    private void accept(String group) throws Exception {
        ChatGroup joined = own("added " + canonical(group) + " " + me, () -> await(client.invitations().accept(group)));
        groups.add(joined.name());
        view.info("you joined #" + joined.name() + " (" + members(joined.memberCount()) + ")");
    }

    private void decline(String group) throws Exception {
        own("declined " + canonical(group) + " " + me, () -> await(client.invitations().decline(group)));
        view.info("you declined the invitation to #" + group);
    }

    private void block(List<String> args, String rest) throws Exception {
        if (args.isEmpty()) {
            List<String> blocked = await(client.contacts().blocked());
            if (blocked.isEmpty()) {
                view.info("you have blocked nobody");
            }
            blocked.forEach(view::plain);
            return;
        }
        for (String user : args) {
            await(client.contacts().block(user));
            view.info("blocked " + user + ": no direct messages or group additions from them (/unblock " + user + " undoes it)");
        }
    }

    private void unblock(String user) throws Exception {
        await(client.contacts().unblock(user));
        view.info("unblocked " + user);
    }

    private void sessions(List<String> args, String rest) throws Exception {
        if (args.size() == 2 && args.getFirst().equalsIgnoreCase("end")) {
            await(client.endSession(args.get(1)));
            view.info("ended session " + args.get(1));
            return;
        }
        if (!args.isEmpty()) {
            view.error("usage: /sessions | /sessions end ID");
            return;
        }
        await(client.sessions()).forEach(session -> view.plain(SessionsCommand.line(session)));
    }

    private void keys(List<String> args, String rest) throws Exception {
        String user = args.get(1);
        switch (args.getFirst().toLowerCase(Locale.ROOT)) {
            case "verify" -> {
                KeyVerification verification = await(client.keys().verify(user));
                view.plain("safety number with " + user + " (" + verification.trust().name().toLowerCase(Locale.ROOT).replace('_', ' ')
                        + "):");
                view.plain("  " + verification.safetyNumber());
                view.plain("compare it with " + user + " in person or on a call; if it matches: /keys mark-verified " + user);
            }
            case "mark-verified" -> {
                await(client.keys().markVerified(user));
                view.info(user + " is verified: their current key is pinned, and a change of it is refused until verified again");
            }
            case "accept" -> {
                await(client.keys().accept(user));
                view.info(user + "'s current key is now trusted");
            }
            default -> view.error("usage: /keys verify USER | /keys mark-verified USER | /keys accept USER");
        }
    }

    // ---- events (on the client's event thread)

    @Override
    public void message(ChatMessage message) {
        users.add(message.sender());
        if (message.conversation().group()) {
            groups.add(message.conversation().name());
        }
        Target current = open;
        if (current != null && current.equals(message.conversation())) {
            if (typing.remove(message.sender()) != null) {
                showTyping();
            }
            showLive(message, false);
            historyBefore = 0;
            client.markRead(message.conversationId(), message.seq()); // best effort: a failure only leaves it unread
        } else if (message.outgoing()) {
            showLive(message, true); // sent from this user's other device
        } else {
            Timeline timeline = timeline(message);
            synchronized (timeline) {
                timeline.add(message);
            }
            if (view.mentionsMe(message)) {
                mentions.merge(message.conversationId(), 1L, Long::sum);
            }
            view.notice(message, unread.merge(message.conversationId(), 1L, Long::sum), mentions.getOrDefault(message.conversationId(), 0L));
        }
    }

    @Override
    public void deleted(String conversationId, long senderId, List<Long> seqs) {
        Timeline timeline = timeline(conversationId);
        List<String> shown = new ArrayList<>();
        String where = "";
        synchronized (timeline) {
            for (long seq : seqs) {
                Optional<Timeline.Shown> known = timeline.shown(seq);
                if (known.isPresent()) {
                    Target conversation = known.get().message().conversation();
                    where = conversation.group() ? " in #" + conversation.name() : " with " + conversation.name();
                    shown.add("^" + seq + " (" + known.get().message().sender() + ": " + ChatView.preview(known.get()) + ")");
                }
            }
            timeline.deleted(senderId, seqs);
        }
        if (!shown.isEmpty()) {
            view.info("deleted for everyone" + where + ": " + String.join(", ", shown));
        }
    }

    @Override
    public void rejected(String conversationId, long seq, String reason) {
        view.error("a message (" + conversationId + " #" + seq + ") is not shown: " + reason);
    }

    @Override
    public void contactKeyChanged(String username) {
        String name = username;
        view.error(name + "'s identity key changed: compare safety numbers (/keys verify " + name + "), then /keys mark-verified "
                + name + " (or /keys accept " + name + " for a contact you had not verified); nothing is sent to " + name + " until then");
    }

    @Override
    public void presence(UserPresence presence) {
        users.add(presence.name());
        view.info(presence.name() + (presence.online() ? " is online" : " went offline"));
    }

    @Override
    public void membership(MembershipEvent event) {
        String group = event.group().name();
        String text = switch (event.change()) {
            case "invited" -> event.user().equals(me) ? event.by() + " invited you to #" + group + ": /accept " + group + " or /decline " + group
                    : event.by() + " invited " + event.user() + " to #" + group;
            case "declined" -> event.user() + " declined the invitation to #" + group;
            case "added" -> event.user().equals(me) ? "you joined #" + group : event.user() + " joined #" + group;
            case "removed" -> event.user().equals(me) ? event.by() + " removed you from #" + group : event.user() + " was removed from #" + group;
            case "left" -> event.user() + " left #" + group;
            case "promoted" -> event.user() + " is now an admin of #" + group;
            case "created" -> "#" + group + " created";
            default -> "#" + group + ": " + event.change() + " " + event.user();
        };
        if (event.group().member()) {
            groups.add(group);
        } else {
            groups.remove(group);
        }
        String key = event.change() + " " + group + ("created".equals(event.change()) ? "" : " " + event.user());
        boolean mine = event.by().equals(me) || (event.user().equals(me) && Set.of("added", "declined").contains(event.change()));
        if (mine && ownChanges.remove(key)) {
            return; // this shell made the change and said so already
        }
        view.info(text);
    }

    @Override
    public void readElsewhere(String conversationId, long seq) {
        unread.remove(conversationId);
    }

    @Override
    public void disconnected(String reason) {
        view.error("connection lost: " + reason + "; reconnecting by itself");
    }

    @Override
    public void reconnecting(int attempt, Duration wait, String lastError) {
        String millis = wait.toMillis() < 1000 ? wait.toMillis() + " ms" : (wait.toMillis() / 1000) + " s";
        status = "(reconnecting in " + millis + (attempt > 1 ? ", attempt " + attempt + ": " + Terminal.escape(lastError) : "") + ") ";
        refreshPrompt();
    }

    @Override
    public void reconnected() {
        status = "";
        refreshPrompt();
        view.info("reconnected");
    }

    @Override
    public void sessionEnded(String reason) {
        sessionEnded = true;
        status = "(logged out: press Enter to log in again) ";
        view.error("the server no longer knows this session: " + reason);
        refreshPrompt();
    }
}
