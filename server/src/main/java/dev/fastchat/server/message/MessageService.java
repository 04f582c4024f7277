package dev.fastchat.server.message;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.fastchat.protocol.ConversationId;
import dev.fastchat.protocol.MessageLimits;
import dev.fastchat.protocol.ProtocolVersion;
import dev.fastchat.protocol.v1.AnnounceChain;
import dev.fastchat.protocol.v1.ChainAnnouncement;
import dev.fastchat.protocol.v1.ConversationKind;
import dev.fastchat.protocol.v1.Cursor;
import dev.fastchat.protocol.v1.DeleteMessages;
import dev.fastchat.protocol.v1.Deliver;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.GetChain;
import dev.fastchat.protocol.v1.GetReceipts;
import dev.fastchat.protocol.v1.GetUnread;
import dev.fastchat.protocol.v1.History;
import dev.fastchat.protocol.v1.HistoryPage;
import dev.fastchat.protocol.v1.MarkRead;
import dev.fastchat.protocol.v1.Message;
import dev.fastchat.protocol.v1.MessageHeader;
import dev.fastchat.protocol.v1.MessagesDeleted;
import dev.fastchat.protocol.v1.Notice;
import dev.fastchat.protocol.v1.Notify;
import dev.fastchat.protocol.v1.Ok;
import dev.fastchat.protocol.v1.ReadMarked;
import dev.fastchat.protocol.v1.ReceiptKind;
import dev.fastchat.protocol.v1.ReceiptList;
import dev.fastchat.protocol.v1.ReceiptNotice;
import dev.fastchat.protocol.v1.RecipientKey;
import dev.fastchat.protocol.v1.RecipientList;
import dev.fastchat.protocol.v1.SealedBody;
import dev.fastchat.protocol.v1.SealedChainKey;
import dev.fastchat.protocol.v1.SealedMessage;
import dev.fastchat.protocol.v1.Send;
import dev.fastchat.protocol.v1.SendAck;
import dev.fastchat.protocol.v1.SendReceipt;
import dev.fastchat.protocol.v1.Sync;
import dev.fastchat.protocol.v1.SyncBatch;
import dev.fastchat.protocol.v1.UnreadSummary;
import dev.fastchat.protocol.v1.UserKeys;
import dev.fastchat.server.admin.ServerMetrics;
import dev.fastchat.server.config.MessagingConfig;
import dev.fastchat.server.limits.RateLimiter;
import dev.fastchat.server.session.Connection;
import dev.fastchat.server.session.ConnectionState.LoggedIn;
import dev.fastchat.server.session.RequestBounds;
import dev.fastchat.server.session.RequestRefusedException;
import dev.fastchat.server.session.SessionRegistry;
import dev.fastchat.storage.Appended;
import dev.fastchat.storage.ConversationRefusedException;
import dev.fastchat.storage.ConversationSummary;
import dev.fastchat.storage.MessageRepository;
import dev.fastchat.storage.NewChain;
import dev.fastchat.storage.NewMessage;
import dev.fastchat.storage.StoredMessage;
import dev.fastchat.storage.StoredReceipt;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sending, delivery, sync, history and read cursors.
 *
 * <p><b>Acknowledged means durable:</b> {@code SendAck} is written only after the transaction that stored
 * the message has committed. Right after the commit, every current member's sessions on this node get a
 * {@code Deliver} (the sender's other sessions too); that push is best effort, and a session that misses
 * it gets the message from {@code Sync}. Within a conversation, messages are ordered by {@code seq}.
 *
 * <p>The server never opens a sealed message. It reads the header and the recipients' account ids (which
 * carry nothing it does not know) to refuse a message whose header names another sender, conversation or
 * client message id than the request, or whose recipients are not exactly the members.
 */
public final class MessageService {
    private static final Logger log = LoggerFactory.getLogger(MessageService.class);
    /** The sealed body may hold the largest padded content, its tag, and protobuf framing. */
    private static final int MAX_BODY_BYTES = MessageLimits.MAX_PADDED_CONTENT_BYTES + 64;
    private static final int CHAIN_ID_BYTES = 16;
    /** The largest notice (a typing notice sealed in a chain is about 300 bytes). */
    private static final int MAX_NOTICE_BYTES = 2048;
    /** Messages one DeleteMessages may name. */
    private static final int MAX_DELETIONS = 100;

    private final MessageRepository messages;
    private final SessionRegistry sessions;
    private final RateLimiter<Long> rateLimiter;
    private final Clock clock;
    private final RateLimiter<Long> noticeLimiter;
    /** The most members a conversation has, and so the most keys an announcement lists. */
    private final int maxMembers;

    /** An account's public keys as the directory has them now (a database read), for the pushes of its announcements. */
    private final java.util.function.LongFunction<java.util.Optional<UserKeys>> directory;

    public MessageService(MessageRepository messages, SessionRegistry sessions, MessagingConfig config, Clock clock,
                          java.util.function.LongFunction<java.util.Optional<UserKeys>> directory) {
        this.messages = messages;
        this.directory = directory;
        this.sessions = sessions;
        this.maxMembers = config.maxGroupMembers();
        this.rateLimiter = new RateLimiter<>(config.sendRate(), config.sendBurst(), clock);
        this.noticeLimiter = new RateLimiter<>(config.noticeRate(), config.noticeBurst(), clock);
        this.clock = clock;
    }

    private volatile ServerMetrics metrics;

    /** Counts acknowledged messages and their send-to-ack time. */
    public void useMetrics(ServerMetrics serverMetrics) {
        this.metrics = serverMetrics;
    }

    /** Stores a message, acknowledges it after commit, and pushes it to the members' sessions. */
    public CompletableFuture<Envelope.Builder> send(Connection connection, Send request) {
        long started = System.nanoTime();
        LoggedIn user = connection.state().user();
        ConversationId conversation = conversation(request.getConversationId());
        String clientMsgId = request.getClientMsgId();
        if (clientMsgId.isEmpty() || clientMsgId.length() > MessageLimits.MAX_CLIENT_MSG_ID_CHARS) {
            throw refused(ErrorCode.BAD_REQUEST, "client_msg_id must be 1 to " + MessageLimits.MAX_CLIENT_MSG_ID_CHARS + " characters");
        }
        Checked checked = checkSealed(request.getSealed(), user.accountId(), conversation, clientMsgId);
        takeSendToken(user.accountId());
        NewMessage message = new NewMessage(conversation, user.accountId(), clientMsgId, request.getSealed().toByteArray(),
                checked.recipients(), clock.instant(), checked.chainId());
        return messages.append(message).thenApply(appended -> {
            StoredMessage stored = appended.message();
            deliver(appended, connection);
            if (appended.duplicate()) {
                log.debug("{} resent {} seq {}", connection.id(), stored.conversationId(), stored.seq());
            }
            ServerMetrics counted = metrics;
            if (counted != null) {
                counted.messageIn(java.time.Duration.ofNanos(System.nanoTime() - started));
            }
            return Envelope.newBuilder().setSendAck(SendAck.newBuilder()
                    .setConversationId(stored.conversationId())
                    .setSeq(stored.seq())
                    .setServerTimeMs(stored.createdAt().toEpochMilli())
                    .setClientMsgId(stored.clientMsgId()));
        });
    }

    /** Pushes to every member's sessions but the sending one (which gets the ack). */
    private void deliver(Appended appended, Connection sender) {
        Envelope push = Envelope.newBuilder().setDeliver(Deliver.newBuilder().setMessage(toProto(appended.message()))).build();
        sessions.push(appended.members(), push, sender);
    }

    private void takeSendToken(long accountId) {
        rateLimiter.tryTake(accountId).ifPresent(wait -> {
            throw new RequestRefusedException(ErrorCode.RATE_LIMITED,
                    "sending too fast; slow down and retry (nothing acknowledged was lost)", wait);
        });
    }

    /**
     * Stores the announcement of a new sender chain of the caller: its key sealed to each of exactly the
     * conversation's current members apart; its messages are then accepted while the members stay those. Each
     * member's sessions (the caller's other sessions included) get their own copy pushed.
     */
    public CompletableFuture<Envelope.Builder> announceChain(Connection connection, AnnounceChain request) {
        LoggedIn user = connection.state().user();
        ConversationId conversation = conversation(request.getConversationId());
        if (request.getChainId().size() != CHAIN_ID_BYTES) {
            throw refused(ErrorCode.BAD_REQUEST, "a chain id is " + CHAIN_ID_BYTES + " bytes");
        }
        if (request.getKeysCount() == 0) {
            throw refused(ErrorCode.BAD_REQUEST, "a chain is announced to the members: none are listed");
        }
        if (request.getKeysCount() > maxMembers) { // before any is parsed: this runs on a network thread
            throw refused(ErrorCode.BAD_REQUEST, "a chain is announced to at most " + maxMembers + " members (the most a group has)");
        }
        Map<Long, byte[]> keys = new HashMap<>();
        for (SealedChainKey key : request.getKeysList()) {
            Checked checked = checkSealed(key.getSealed(), user.accountId(), conversation, null);
            if (checked.chainId() != null || !checked.recipients().equals(Set.of(key.getAccountId()))) {
                throw refused(ErrorCode.BAD_REQUEST, "each key of a chain is sealed, as a message of format "
                        + ProtocolVersion.SEALED_MESSAGE + ", to the one member it is listed for");
            }
            if (keys.put(key.getAccountId(), key.getSealed().toByteArray()) != null) {
                throw refused(ErrorCode.BAD_REQUEST, "account " + key.getAccountId() + " is listed twice");
            }
        }
        takeSendToken(user.accountId());
        return messages.announce(new NewChain(conversation, user.accountId(), request.getChainId().toByteArray(), keys, clock.instant()))
                .thenApply(stored -> {
                    java.util.Optional<UserKeys> senderKeys = keysOf(user.accountId());
                    for (SealedChainKey key : request.getKeysList()) {
                        ChainAnnouncement.Builder push = ChainAnnouncement.newBuilder().setConversationId(conversation.value())
                                .setSenderId(user.accountId()).setChainId(request.getChainId()).setSealed(key.getSealed());
                        senderKeys.ifPresent(push::setSender);
                        sessions.push(List.of(key.getAccountId()), Envelope.newBuilder().setChainAnnouncement(push).build(), connection);
                    }
                    return Envelope.newBuilder().setOk(Ok.getDefaultInstance());
                });
    }

    /**
     * The sender's keys pushed with its chain's announcement, read when the chain is stored (once, whatever the number
     * of members; announcements are rare beside messages): the members then open the chain's first message without a
     * round trip to look them up. Empty if they cannot be read now: the members look them up, as before.
     */
    private java.util.Optional<UserKeys> keysOf(long accountId) {
        try {
            return directory.apply(accountId);
        } catch (RuntimeException e) {
            log.debug("announcement of account {} pushed without its keys: {}", accountId, e.getMessage());
            return java.util.Optional.empty();
        }
    }

    /** The caller's copy of a member's sender chain announcement, for a member (or former member) of the conversation. */
    public CompletableFuture<Envelope.Builder> chain(Connection connection, GetChain request) {
        LoggedIn user = connection.state().user();
        ConversationId conversation = conversation(request.getConversationId());
        byte[] sealed = messages.announcement(conversation.value(), request.getSenderId(), request.getChainId().toByteArray(),
                user.accountId()).orElse(new byte[0]);
        return done(Envelope.newBuilder().setChainAnnouncement(ChainAnnouncement.newBuilder()
                .setConversationId(conversation.value()).setSenderId(request.getSenderId()).setChainId(request.getChainId())
                .setSealed(ByteString.copyFrom(sealed))));
    }

    /** What {@link #checkSealed} found: the recipients' account ids, or the chain a message is sealed in. */
    private record Checked(Set<Long> recipients, byte[] chainId) {}

    /**
     * Checks what the server may check of a sealed message without opening it: its format and version, and that its
     * header names the sender, the conversation and (when given) the client message id of the request.
     */
    private static Checked checkSealed(ByteString bytes, long senderId, ConversationId conversation, String clientMsgId) {
        SealedMessage sealed;
        MessageHeader header;
        RecipientList recipients;
        SealedBody body;
        try {
            sealed = SealedMessage.parseFrom(bytes);
            header = MessageHeader.parseFrom(sealed.getHeader());
            recipients = RecipientList.parseFrom(sealed.getRecipients());
            body = SealedBody.parseFrom(sealed.getBody());
        } catch (InvalidProtocolBufferException e) {
            throw refused(ErrorCode.BAD_REQUEST, "sealed is not a sealed message");
        }
        if (body.getCiphertext().size() > MAX_BODY_BYTES) {
            throw refused(ErrorCode.TOO_LARGE, "the message is over the limit of " + MessageLimits.MAX_TEXT_BYTES + " bytes of text");
        }
        boolean inChain = header.getVersion() == ProtocolVersion.CHAIN_MESSAGE;
        if (header.getVersion() != ProtocolVersion.SEALED_MESSAGE && !inChain) {
            throw refused(ErrorCode.BAD_REQUEST, "sealed in format version " + header.getVersion() + "; this server stores versions "
                    + ProtocolVersion.SEALED_MESSAGE + " and " + ProtocolVersion.CHAIN_MESSAGE + " (update the client)");
        }
        if (inChain && (header.getChainId().size() != CHAIN_ID_BYTES || !recipients.getRecipientsList().isEmpty())) {
            throw refused(ErrorCode.BAD_REQUEST, "a message of a sender chain names its " + CHAIN_ID_BYTES
                    + "-byte chain and no recipients");
        }
        if (header.getSenderId() != senderId) {
            throw refused(ErrorCode.BAD_REQUEST, "the sealed header names another sender than the logged-in user");
        }
        if (!header.getConversationId().equals(conversation.value())) {
            throw refused(ErrorCode.BAD_REQUEST, "the sealed header names another conversation than the request");
        }
        if (clientMsgId != null && !header.getClientMsgId().equals(clientMsgId)) {
            throw refused(ErrorCode.BAD_REQUEST, "the sealed header has another client_msg_id than the request");
        }
        if (sealed.getSignature().size() != 64) {
            throw refused(ErrorCode.BAD_REQUEST, "the sealed message is not signed");
        }
        Set<Long> ids = new HashSet<>();
        for (RecipientKey recipient : recipients.getRecipientsList()) {
            if (!ids.add(recipient.getAccountId())) {
                throw refused(ErrorCode.BAD_REQUEST, "account " + recipient.getAccountId() + " is listed twice as recipient");
            }
        }
        return new Checked(ids, inChain ? header.getChainId().toByteArray() : null);
    }

    /** What the client missed, oldest first per conversation. */
    public CompletableFuture<Envelope.Builder> sync(Connection connection, Sync request) {
        LoggedIn user = connection.state().user();
        Map<String, Long> cursors = new HashMap<>();
        for (Cursor cursor : request.getCursorsList()) {
            cursors.merge(cursor.getConversationId(), RequestBounds.seq(cursor.getSeq()), Math::max);
        }
        int limit = RequestBounds.limit(request.getLimit(), MessageLimits.MAX_SYNC_BATCH, MessageLimits.MAX_SYNC_BATCH);
        if (request.getOnlyConversationIdsCount() > MessageLimits.MAX_SYNC_BATCH) {
            throw refused(ErrorCode.BAD_REQUEST, "a sync names at most " + MessageLimits.MAX_SYNC_BATCH + " conversations");
        }
        Set<String> only = Set.copyOf(request.getOnlyConversationIdsList());
        List<StoredMessage> found = messages.since(user.accountId(), cursors, only, limit + 1, MessageLimits.PAGE_BYTES);
        SyncBatch.Builder batch = SyncBatch.newBuilder().setMore(found.size() > limit || full(found));
        found.stream().limit(limit).map(MessageService::toProto).forEach(batch::addMessages);
        return done(Envelope.newBuilder().setSyncBatch(batch));
    }

    /** Whether a page was cut at its byte budget (there may be more after it). */
    private static boolean full(List<StoredMessage> page) {
        return StoredMessage.sealedSize(page) >= MessageLimits.PAGE_BYTES;
    }

    /** A page of history, newest first. */
    public CompletableFuture<Envelope.Builder> history(Connection connection, History request) {
        LoggedIn user = connection.state().user();
        ConversationId conversation = conversation(request.getConversationId());
        int limit = RequestBounds.limit(request.getLimit(), MessageLimits.DEFAULT_HISTORY_PAGE, MessageLimits.MAX_HISTORY_PAGE);
        List<StoredMessage> page;
        try {
            page = messages.history(conversation.value(), user.accountId(), RequestBounds.seq(request.getBeforeSeq()), limit + 1,
                    MessageLimits.PAGE_BYTES);
        } catch (ConversationRefusedException e) {
            if (!conversation.involves(user.accountId())) {
                throw e;
            }
            page = List.of(); // a direct conversation of this user with no message yet
        }
        HistoryPage.Builder result = HistoryPage.newBuilder().setMore(page.size() > limit || full(page));
        page.stream().limit(limit).map(MessageService::toProto).forEach(result::addMessages);
        return done(Envelope.newBuilder().setHistoryPage(result));
    }

    /** Unread counts per conversation, direct messages and groups apart. */
    public CompletableFuture<Envelope.Builder> unread(Connection connection, GetUnread request) {
        LoggedIn user = connection.state().user();
        UnreadSummary.Builder summary = UnreadSummary.newBuilder();
        long direct = 0;
        long group = 0;
        for (ConversationSummary conversation : messages.summaries(user.accountId())) {
            summary.addConversations(dev.fastchat.protocol.v1.ConversationSummary.newBuilder()
                    .setConversationId(conversation.conversationId())
                    .setKind(conversation.direct() ? ConversationKind.DIRECT : ConversationKind.GROUP)
                    .setName(conversation.name() == null ? "" : conversation.name())
                    .setLastSeq(conversation.lastSeq())
                    .setReadSeq(conversation.readSeq())
                    .setUnread(conversation.unread()));
            if (conversation.direct()) {
                direct += conversation.unread();
            } else {
                group += conversation.unread();
            }
        }
        return done(Envelope.newBuilder().setUnreadSummary(summary.setDirectUnread(direct).setGroupUnread(group)));
    }

    /** Moves the read cursor and tells the user's other sessions. */
    public CompletableFuture<Envelope.Builder> markRead(Connection connection, MarkRead request) {
        LoggedIn user = connection.state().user();
        ConversationId conversation = conversation(request.getConversationId());
        return messages.markRead(conversation.value(), user.accountId(), RequestBounds.seq(request.getSeq())).thenApply(seq -> {
            sessions.push(user.accountId(), Envelope.newBuilder().setReadMarked(ReadMarked.newBuilder()
                    .setConversationId(conversation.value()).setSeq(seq)).build(), connection);
            return Envelope.newBuilder().setOk(Ok.getDefaultInstance());
        });
    }

    /**
     * Relays a short-lived notice (typing) to the members' sessions online now: checked (a member, a version 3 header
     * naming the caller and the conversation, small, within the rate), never stored.
     */
    public CompletableFuture<Envelope.Builder> notify(Connection connection, Notify request) {
        LoggedIn user = connection.state().user();
        ConversationId conversation = conversation(request.getConversationId());
        if (request.getSealed().size() > MAX_NOTICE_BYTES) {
            throw refused(ErrorCode.TOO_LARGE, "a notice is at most " + MAX_NOTICE_BYTES + " bytes");
        }
        if (checkSealed(request.getSealed(), user.accountId(), conversation, null).chainId() == null) {
            throw refused(ErrorCode.BAD_REQUEST, "a notice is sealed in the caller's sender chain of this conversation");
        }
        noticeLimiter.tryTake(user.accountId()).ifPresent(wait -> {
            throw new RequestRefusedException(ErrorCode.RATE_LIMITED, "too many notices: wait " + wait.toMillis() + " ms", wait);
        });
        List<Long> members = messages.members(conversation.value());
        if (!members.contains(user.accountId())) {
            throw refused(ErrorCode.NOT_A_MEMBER, "not a member of conversation " + conversation.value());
        }
        sessions.push(members, Envelope.newBuilder().setNotice(Notice.newBuilder().setConversationId(conversation.value())
                .setSenderId(user.accountId()).setSealed(request.getSealed())).build(), connection);
        return done(Envelope.newBuilder().setOk(Ok.getDefaultInstance()));
    }

    /**
     * Keeps a member's delivered or read receipt for a sender (sealed to that sender alone) and pushes it to the
     * sender's sessions, when it goes further than the one kept.
     */
    public CompletableFuture<Envelope.Builder> sendReceipt(Connection connection, SendReceipt request) {
        LoggedIn user = connection.state().user();
        ConversationId conversation = conversation(request.getConversationId());
        if (request.getKind() != ReceiptKind.DELIVERED && request.getKind() != ReceiptKind.READ) {
            throw refused(ErrorCode.BAD_REQUEST, "a receipt is DELIVERED or READ");
        }
        if (request.getSealed().size() > MAX_NOTICE_BYTES) {
            throw refused(ErrorCode.TOO_LARGE, "a receipt is at most " + MAX_NOTICE_BYTES + " bytes");
        }
        Checked checked = checkSealed(request.getSealed(), user.accountId(), conversation, null);
        if (checked.chainId() != null || !checked.recipients().equals(Set.of(request.getTo())) || request.getTo() == user.accountId()) {
            throw refused(ErrorCode.BAD_REQUEST, "a receipt is sealed to the other member alone");
        }
        takeSendToken(user.accountId()); // a receipt is written like a message, and counts as one
        long upTo = RequestBounds.seq(request.getUpToSeq());
        StoredReceipt receipt = new StoredReceipt(conversation.value(), user.accountId(), request.getTo(), request.getKindValue(), upTo,
                request.getSealed().toByteArray());
        return messages.keepReceipt(receipt).thenApply(kept -> {
            if (kept) {
                sessions.push(request.getTo(), Envelope.newBuilder().setReceiptNotice(notice(receipt)).build(), null);
            }
            return Envelope.newBuilder().setOk(Ok.getDefaultInstance());
        });
    }

    /** The receipts kept for the caller's messages in a conversation. */
    public CompletableFuture<Envelope.Builder> receipts(Connection connection, GetReceipts request) {
        LoggedIn user = connection.state().user();
        ConversationId conversation = conversation(request.getConversationId());
        ReceiptList.Builder list = ReceiptList.newBuilder();
        messages.receipts(conversation.value(), user.accountId()).forEach(receipt -> list.addReceipts(notice(receipt)));
        return done(Envelope.newBuilder().setReceiptList(list));
    }

    private static ReceiptNotice notice(StoredReceipt receipt) {
        return ReceiptNotice.newBuilder().setConversationId(receipt.conversationId()).setFrom(receipt.fromId())
                .setKindValue(receipt.kind()).setUpToSeq(receipt.upToSeq()).setSealed(ByteString.copyFrom(receipt.sealed())).build();
    }

    /** Deletes messages of the caller's for everyone, and tells every member's sessions. */
    public CompletableFuture<Envelope.Builder> delete(Connection connection, DeleteMessages request) {
        LoggedIn user = connection.state().user();
        ConversationId conversation = conversation(request.getConversationId());
        if (request.getSeqsCount() == 0 || request.getSeqsCount() > MAX_DELETIONS) {
            throw refused(ErrorCode.BAD_REQUEST, "delete 1 to " + MAX_DELETIONS + " messages at a time");
        }
        List<Long> seqs = request.getSeqsList().stream().map(RequestBounds::seq).toList();
        return messages.delete(conversation.value(), user.accountId(), seqs).thenApply(members -> {
            sessions.push(members, Envelope.newBuilder().setMessagesDeleted(MessagesDeleted.newBuilder()
                    .setConversationId(conversation.value()).setSenderId(user.accountId()).addAllSeqs(seqs)).build(), connection);
            return Envelope.newBuilder().setOk(Ok.getDefaultInstance());
        });
    }

    static Message toProto(StoredMessage stored) {
        return Message.newBuilder()
                .setConversationId(stored.conversationId())
                .setSeq(stored.seq())
                .setSenderId(stored.senderId())
                .setSenderName(stored.senderName())
                .setSealed(ByteString.copyFrom(stored.sealed()))
                .setServerTimeMs(stored.createdAt().toEpochMilli())
                .setKind(stored.groupName().isEmpty() ? ConversationKind.DIRECT : ConversationKind.GROUP)
                .setGroupName(stored.groupName())
                .setDeleted(stored.deleted())
                .build();
    }

    private static ConversationId conversation(String id) {
        return ConversationId.parse(id).orElseThrow(() -> refused(ErrorCode.UNKNOWN_CONVERSATION,
                "'" + (id.length() > 48 ? id.substring(0, 48) + "..." : id) + "' is not a conversation id"));
    }

    private static RequestRefusedException refused(ErrorCode code, String reason) {
        return new RequestRefusedException(code, reason);
    }

    private static CompletableFuture<Envelope.Builder> done(Envelope.Builder response) {
        return CompletableFuture.completedFuture(response);
    }
}
