package dev.fastchat.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fastchat.client.ChatClient;
import dev.fastchat.client.ChatException;
import dev.fastchat.client.ChatGroup;
import dev.fastchat.client.ChatListener;
import dev.fastchat.client.ChatMessage;
import dev.fastchat.client.ConversationUnread;
import dev.fastchat.client.GroupInvitation;
import dev.fastchat.client.GroupMember;
import dev.fastchat.client.MembershipEvent;
import dev.fastchat.client.MessageStatus;
import dev.fastchat.client.Messages;
import dev.fastchat.client.SentMessage;
import dev.fastchat.client.Target;
import dev.fastchat.client.Timeline;
import dev.fastchat.client.UnreadSummary;
import dev.fastchat.client.UserPresence;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * JSON-RPC 2.0 for bots and scripts, as signal-cli's daemon speaks it: one request per line, one response per line,
 * over a connection (a Unix socket, or standard input and output). A connection that called {@code subscribe} also
 * gets every event of the session as a notification {@code {"jsonrpc":"2.0","method":"event","params":{"type":...}}}.
 * Every method works on the one logged-in session of the daemon; what fails is an error response, never the end of
 * the connection (a line that is not JSON gets -32700 and the next line is read).
 */
final class JsonRpcDaemon implements ChatListener {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final long TIMEOUT_SECONDS = 120;
    /** The longest request line: a message of 64 KiB, escaped, and its framing. */
    static final int MAX_LINE_CHARS = 512 * 1024;

    private volatile ChatClient client;
    private final String me;
    private final String server;
    /** Connections that asked for events, and how to write to each (one line at a time). */
    private final Set<Connection> subscribed = ConcurrentHashMap.newKeySet();

    /** A daemon for {@code me} on {@code server} (as given on the command line), listening for events from now on. */
    JsonRpcDaemon(String me, String server) {
        this.me = me;
        this.server = server;
    }

    /** The logged-in client whose session the methods use. */
    void serveFor(ChatClient loggedIn) {
        this.client = loggedIn;
    }

    /** One client of the daemon: where its responses and events go, a line at a time. */
    static final class Connection {
        private final OutputStream out;

        Connection(OutputStream out) {
            this.out = out;
        }

        synchronized void write(JsonNode message) throws IOException {
            out.write(JSON.writeValueAsBytes(message));
            out.write('\n');
            out.flush();
        }
    }

    /** Serves one connection until its input ends; {@code subscribe} makes it get events from the start. */
    void serve(InputStream in, OutputStream out, boolean subscribe) throws IOException {
        Connection connection = new Connection(out);
        if (subscribe) {
            subscribed.add(connection);
        }
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            StringBuilder line = new StringBuilder();
            while (readLine(reader, line)) {
                if (line.isEmpty()) {
                    continue;
                }
                JsonNode response = line.length() > MAX_LINE_CHARS
                        ? error(NODES.nullNode(), -32600, "the request is over " + MAX_LINE_CHARS + " characters", null)
                        : handle(line.toString(), connection);
                if (response != null) {
                    connection.write(response);
                }
            }
        } finally {
            subscribed.remove(connection);
        }
    }

    /** Reads a line, keeping no more than the limit (and one more, to tell it was over). */
    private static boolean readLine(BufferedReader reader, StringBuilder line) throws IOException {
        line.setLength(0);
        int c;
        boolean any = false;
        while ((c = reader.read()) >= 0) {
            any = true;
            if (c == '\n') {
                return true;
            }
            if (line.length() <= MAX_LINE_CHARS) {
                line.append((char) c);
            }
        }
        return any;
    }

    /** The response to one request line, or null for a notification (a request without an id). */
    JsonNode handle(String line, Connection connection) {
        JsonNode request;
        try {
            request = JSON.readTree(line);
        } catch (IOException e) {
            return error(NODES.nullNode(), -32700, "not JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException json ? json.getOriginalMessage() : e.getMessage()), null);
        }
        JsonNode id = request.has("id") ? request.get("id") : null;
        JsonNode answerId = id == null ? NODES.nullNode() : id;
        if (!request.isObject() || !"2.0".equals(request.path("jsonrpc").asText()) || !request.path("method").isTextual()
                || (id != null && !id.isTextual() && !id.isNumber() && !id.isNull())) {
            return error(answerId, -32600, "not a JSON-RPC 2.0 request: {\"jsonrpc\":\"2.0\",\"method\":...,\"params\":{...},\"id\":...}", null);
        }
        JsonNode params = request.has("params") ? request.get("params") : NODES.objectNode();
        if (!params.isObject()) {
            return error(answerId, -32602, "params must be an object", null);
        }
        try {
            JsonNode result = call(request.get("method").asText(), (ObjectNode) params, connection);
            if (id == null) {
                return null;
            }
            ObjectNode response = NODES.objectNode().put("jsonrpc", "2.0");
            response.set("result", result);
            response.set("id", id);
            return response;
        } catch (UnknownMethod e) {
            return id == null ? null : error(id, -32601, e.getMessage(), null);
        } catch (IllegalArgumentException e) {
            return id == null ? null : error(id, -32602, e.getMessage(), null);
        } catch (Exception e) {
            Throwable cause = ExitCodes.unwrap(e);
            String code = cause instanceof ChatException chat ? chat.code().name() : "FAILED";
            ObjectNode response = error(answerId, -32000, cause.getMessage() == null ? cause.toString() : cause.getMessage(), code);
            if (cause instanceof ChatException chat && chat.local()) {
                ((ObjectNode) response.get("error").get("data")).put("local", true); // checked here, not refused by the server
            }
            return id == null ? null : response;
        }
    }

    private static ObjectNode error(JsonNode id, int code, String message, String fastchatCode) {
        ObjectNode error = NODES.objectNode().put("code", code).put("message", message);
        if (fastchatCode != null) {
            error.set("data", NODES.objectNode().put("code", fastchatCode));
        }
        ObjectNode response = NODES.objectNode().put("jsonrpc", "2.0");
        response.set("error", error);
        response.set("id", id);
        return response;
    }

    private static final class UnknownMethod extends RuntimeException {
        UnknownMethod(String method) {
            super("no method '" + method + "'; see docs/daemon.md");
        }
    }

    /** The methods: what the command line does, by the same names. */
    private JsonNode call(String method, ObjectNode params, Connection connection) throws Exception {
        return switch (method) {
            case "version" -> NODES.objectNode().put("version", new VersionProvider().getVersion()[0]).put("user", me).put("server", server);
            case "subscribe" -> {
                subscribed.add(connection);
                yield NODES.booleanNode(true);
            }
            case "unsubscribe" -> {
                subscribed.remove(connection);
                yield NODES.booleanNode(true);
            }
            case "send" -> {
                Target to = target(params);
                String text = text(params, "text");
                SentMessage sent = await(params.hasNonNull("reply_to") ? client.messages().reply(to, seq(params, "reply_to"), text)
                        : params.hasNonNull("edit") ? client.messages().edit(to, seq(params, "edit"), text) : client.send(to, text));
                yield sent(sent);
            }
            case "sendFile" -> sent(await(client.files().send(target(params), Path.of(text(params, "path")))));
            case "fetchFile" -> NODES.objectNode().put("path", await(client.files().fetch(text(params, "id"),
                    Path.of(params.hasNonNull("dir") ? text(params, "dir") : "."))).toAbsolutePath().toString());
            case "verifyKey" -> verification(await(client.keys().verify(text(params, "user"))));
            case "markVerified" -> verification(await(client.keys().markVerified(text(params, "user"))));
            case "acceptKey" -> {
                await(client.keys().accept(text(params, "user")));
                yield NODES.booleanNode(true);
            }
            case "sessions" -> {
                ArrayNode sessions = NODES.arrayNode();
                for (dev.fastchat.client.DeviceSession session : await(client.sessions())) {
                    sessions.add(NODES.objectNode().put("id", session.id()).put("device", session.device())
                            .put("created", session.created().toString()).put("last_seen", session.lastSeen().toString())
                            .put("address", session.address()).put("current", session.current()));
                }
                yield sessions;
            }
            case "endSession" -> {
                await(client.endSession(text(params, "id")));
                yield NODES.booleanNode(true);
            }
            case "react" -> {
                Target to = target(params);
                long seq = seq(params, "seq");
                String emoji = text(params, "emoji");
                yield sent(await(params.path("remove").asBoolean(false) ? client.messages().unreact(to, seq, emoji)
                        : client.messages().react(to, seq, emoji)));
            }
            case "delete" -> {
                ArrayNode deleted = NODES.arrayNode();
                await(client.messages().delete(target(params), seq(params, "seq"))).forEach(deleted::add);
                yield NODES.objectNode().set("deleted", deleted);
            }
            case "typing" -> {
                await(client.messages().typing(target(params), params.path("typing").asBoolean(true)));
                yield NODES.booleanNode(true);
            }
            case "history" -> {
                int limit = params.path("limit").asInt(20);
                List<ChatMessage> page = await(client.history(target(params), params.path("before").asLong(0), limit));
                yield messages(page.reversed());
            }
            case "read" -> {
                // As fastchat read: one conversation's newest (with a conversation), else what is unread everywhere;
                // what is returned is marked read unless keep_unread.
                List<ChatMessage> read = params.hasNonNull("to") || params.hasNonNull("group")
                        ? await(client.history(target(params), 0, params.path("limit").asInt(20))).reversed()
                        : await(client.sync()).stream().filter(m -> !m.outgoing()).toList();
                if (!params.path("keep_unread").asBoolean(false)) {
                    java.util.Map<String, Long> newest = new java.util.HashMap<>();
                    read.forEach(m -> newest.merge(m.conversationId(), m.seq(), Math::max));
                    for (var entry : newest.entrySet()) {
                        await(client.markRead(entry.getKey(), entry.getValue()));
                    }
                }
                yield messages(read);
            }
            case "markRead" -> {
                await(client.markRead(text(params, "conversation"), seq(params, "seq")));
                yield NODES.booleanNode(true);
            }
            case "unread" -> unread(await(client.unread()));
            case "status" -> {
                MessageStatus status = await(client.receipts().status(target(params), seq(params, "seq")));
                ObjectNode node = NODES.objectNode().put("seq", status.seq()).put("status", status.state()).put("recipients", status.recipients());
                node.set("delivered_to", names(status.deliveredTo()));
                node.set("read_by", names(status.readBy()));
                yield node;
            }
            case "search" -> {
                ArrayNode hits = NODES.arrayNode();
                for (Messages.SearchHit hit : await(client.messages().search(target(params), text(params, "text"),
                        params.path("depth").asInt(1000)))) {
                    hits.add(message(hit.match().message(), hit.match()));
                }
                yield hits;
            }
            case "groups" -> {
                ArrayNode groups = NODES.arrayNode();
                for (ChatGroup group : await(client.groups().list())) {
                    groups.add(NODES.objectNode().put("name", group.name()).put("conversation", group.conversationId())
                            .put("members", group.memberCount()).put("admin", group.admin()));
                }
                yield groups;
            }
            case "members" -> {
                ArrayNode members = NODES.arrayNode();
                for (GroupMember member : await(client.groups().members(text(params, "group")))) {
                    members.add(NODES.objectNode().put("name", member.name()).put("admin", member.admin()).put("online", member.online()));
                }
                yield members;
            }
            case "createGroup" -> group(await(client.groups().create(text(params, "group"))));
            case "addMember" -> group(await(client.groups().add(text(params, "group"), text(params, "user"))));
            case "removeMember" -> group(await(client.groups().remove(text(params, "group"), text(params, "user"))));
            case "leaveGroup" -> group(await(client.groups().leave(text(params, "group"))));
            case "invitations" -> {
                ArrayNode invitations = NODES.arrayNode();
                for (GroupInvitation invitation : await(client.invitations().list())) {
                    invitations.add(NODES.objectNode().put("group", invitation.group().name()).put("invited_by", invitation.invitedBy()));
                }
                yield invitations;
            }
            case "accept" -> group(await(client.invitations().accept(text(params, "group"))));
            case "decline" -> {
                await(client.invitations().decline(text(params, "group")));
                yield NODES.booleanNode(true);
            }
            case "who" -> {
                ArrayNode who = NODES.arrayNode();
                for (UserPresence presence : await(client.whoIsOnline())) {
                    who.add(NODES.objectNode().put("user", presence.name()).put("online", presence.online()));
                }
                yield who;
            }
            case "block" -> {
                await(client.contacts().block(text(params, "user")));
                yield NODES.booleanNode(true);
            }
            case "unblock" -> {
                await(client.contacts().unblock(text(params, "user")));
                yield NODES.booleanNode(true);
            }
            default -> throw new UnknownMethod(method);
        };
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /** The conversation a request names: {@code to} (a user) or {@code group}. */
    private static Target target(ObjectNode params) {
        if (params.hasNonNull("to") == params.hasNonNull("group")) {
            throw new IllegalArgumentException("name the conversation: \"to\": USER or \"group\": GROUP");
        }
        return params.hasNonNull("to") ? Target.user(text(params, "to")) : Target.group(text(params, "group"));
    }

    private static String text(ObjectNode params, String name) {
        JsonNode value = params.get(name);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("\"" + name + "\" (a string) is missing");
        }
        return value.asText();
    }

    private static long seq(ObjectNode params, String name) {
        JsonNode value = params.get(name);
        if (value == null || !value.canConvertToLong() || value.asLong() < 1) {
            throw new IllegalArgumentException("\"" + name + "\" (a message number, from 1) is missing");
        }
        return value.asLong();
    }

    private static ObjectNode sent(SentMessage sent) {
        return NODES.objectNode().put("conversation", sent.conversationId()).put("seq", sent.seq())
                .put("server_time", sent.serverTime().toString());
    }

    private static ObjectNode verification(dev.fastchat.client.KeyVerification verification) {
        return NODES.objectNode().put("user", verification.user()).put("safety_number", verification.safetyNumber())
                .put("trust", verification.trust().name().toLowerCase(java.util.Locale.ROOT));
    }

    private static ObjectNode group(ChatGroup group) {
        return NODES.objectNode().put("name", group.name()).put("conversation", group.conversationId()).put("members", group.memberCount());
    }

    private static ArrayNode names(List<String> names) {
        ArrayNode array = NODES.arrayNode();
        names.forEach(array::add);
        return array;
    }

    private static ObjectNode unread(UnreadSummary summary) {
        ObjectNode node = NODES.objectNode().put("direct", summary.directUnread()).put("groups", summary.groupUnread());
        ArrayNode conversations = node.putArray("conversations");
        for (ConversationUnread conversation : summary.conversations()) {
            conversations.add(NODES.objectNode().put("conversation", conversation.conversationId())
                    .put("with", conversation.conversation().name()).put("group", conversation.conversation().group())
                    .put("unread", conversation.unread()).put("read_seq", conversation.readSeq()));
        }
        return node;
    }

    /** Messages oldest first, as {@code fastchat read --json} prints them: edits and reactions folded in. */
    private ArrayNode messages(List<ChatMessage> oldestFirst) throws IOException {
        Timeline timeline = new Timeline();
        timeline.add(oldestFirst);
        ArrayNode array = NODES.arrayNode();
        for (ChatMessage message : oldestFirst) {
            if (timeline.folded(message)) {
                continue;
            }
            array.add(message(message, timeline.shown(message.seq()).orElse(null)));
        }
        return array;
    }

    private JsonNode message(ChatMessage message, Timeline.Shown shown) throws IOException {
        return JSON.readTree(ReadCommand.json(message, shown, null, !message.outgoing() && message.mentions(me)));
    }

    // ---- events, to the connections that subscribed

    private void publish(String type, ObjectNode event) {
        if (subscribed.isEmpty()) {
            return;
        }
        ObjectNode params = NODES.objectNode().put("type", type);
        params.setAll(event);
        ObjectNode notification = NODES.objectNode().put("jsonrpc", "2.0").put("method", "event");
        notification.set("params", params);
        for (Connection connection : subscribed) {
            try {
                connection.write(notification);
            } catch (IOException e) {
                subscribed.remove(connection); // gone: its reader ends too
            }
        }
    }

    @Override
    public void message(ChatMessage message) {
        try {
            publish("message", (ObjectNode) message(message, null));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void receipt(String conversationId, String member, boolean read, long upToSeq) {
        publish("receipt", NODES.objectNode().put("conversation", conversationId).put("member", member).put("read", read)
                .put("up_to_seq", upToSeq));
    }

    @Override
    public void typing(String conversationId, String sender, boolean typing) {
        publish("typing", NODES.objectNode().put("conversation", conversationId).put("sender", sender).put("typing", typing));
    }

    @Override
    public void deleted(String conversationId, long senderId, List<Long> seqs) {
        ObjectNode event = NODES.objectNode().put("conversation", conversationId).put("sender_id", senderId);
        ArrayNode array = event.putArray("seqs");
        seqs.forEach(array::add);
        publish("deleted", event);
    }

    @Override
    public void rejected(String conversationId, long seq, String reason) {
        publish("rejected", NODES.objectNode().put("conversation", conversationId).put("seq", seq).put("reason", reason));
    }

    @Override
    public void presence(UserPresence presence) {
        publish("presence", NODES.objectNode().put("user", presence.name()).put("online", presence.online()));
    }

    @Override
    public void membership(MembershipEvent event) {
        publish("membership", NODES.objectNode().put("group", event.group().name()).put("change", event.change())
                .put("user", event.user()).put("by", event.by()));
    }

    @Override
    public void contactKeyChanged(String username) {
        publish("key_changed", NODES.objectNode().put("user", username));
    }

    @Override
    public void disconnected(String reason) {
        publish("disconnected", NODES.objectNode().put("reason", reason));
    }

    @Override
    public void reconnected() {
        publish("reconnected", NODES.objectNode());
    }
}
