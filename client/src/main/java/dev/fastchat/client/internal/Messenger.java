package dev.fastchat.client.internal;

import com.google.protobuf.ByteString;
import dev.fastchat.client.ChatException;
import dev.fastchat.client.ChatGroup;
import dev.fastchat.client.ChatListener;
import dev.fastchat.client.ChatMessage;
import dev.fastchat.client.KeyTrust;
import dev.fastchat.client.MembershipEvent;
import dev.fastchat.client.PreparedMessage;
import dev.fastchat.client.PushSampler;
import dev.fastchat.client.SentMessage;
import dev.fastchat.client.SharedFile;
import dev.fastchat.client.Target;
import dev.fastchat.client.UserPresence;
import dev.fastchat.crypto.FileCipher;
import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.crypto.MessageSealer;
import dev.fastchat.crypto.SenderChain;
import dev.fastchat.crypto.OpenException;
import dev.fastchat.protocol.ConversationId;
import dev.fastchat.protocol.MessageLimits;
import dev.fastchat.protocol.Names;
import dev.fastchat.protocol.v1.AnnounceChain;
import dev.fastchat.protocol.v1.Content;
import dev.fastchat.protocol.v1.DeleteMessages;
import dev.fastchat.protocol.v1.Edit;
import dev.fastchat.protocol.v1.Reaction;
import dev.fastchat.protocol.v1.ReceiptKind;
import dev.fastchat.client.MessageStatus;
import dev.fastchat.protocol.v1.GetChain;
import dev.fastchat.protocol.v1.SealedChainKey;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.FileReference;
import dev.fastchat.protocol.v1.GroupInfo;
import dev.fastchat.protocol.v1.Member;
import dev.fastchat.protocol.v1.MemberList;
import dev.fastchat.protocol.v1.Message;
import dev.fastchat.protocol.v1.Role;
import dev.fastchat.protocol.v1.Send;
import dev.fastchat.protocol.v1.SendAck;
import dev.fastchat.protocol.v1.UserKeys;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The end-to-end encrypted messaging of one logged-in user: key lookup and pinning, sealing, opening,
 * de-duplication and replay detection. Methods block on the server; call them on virtual threads.
 */
public final class Messenger {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Messenger.class);
    /** How many message ids each memory of a messenger keeps by default (see {@link #remembered}). */
    public static final int DEFAULT_REMEMBERED = 100_000;
    /** How many times a send goes out again behind a new chain's announcement after losing the last one with a connection. */
    private static final int LOST_ANNOUNCEMENTS_LIMIT = 3;

    private final Function<Envelope.Builder, CompletableFuture<Envelope>> rpc;
    private final long myId;
    private final String myName;
    private final int myKeyId;
    private final IdentityKeyPair identity;
    private final String serverId;
    private final LocalKeyStore keyStore;
    private final TrustStore pins;
    private final SecureRandom random;
    private final Clock clock;
    private final ChatListener listener;
    private final SerialExecutor events;
    /**
     * How many entries each bounded memory keeps, the newest: the messages reported (for duplicates), where each
     * message was shown (for replays, on disk too), this device's sends, the file references opened.
     */
    private final int remembered;
    /** The other users' keys, as served and as pinned. */
    private final KeyBook keys;
    /** The groups this user is in, as their membership chains prove them. */
    private final GroupMemberships memberships;
    /** This session's sender chains, and the others' it opened. */
    private final SenderChains senderChains = new SenderChains();

    /** (conversation, seq) already reported ({@link #seenKey}), and where each (sender, client message id) was shown. */
    private final Map<String, Boolean> seen = bounded();

    private static String seenKey(String conversationId, long seq) {
        return conversationId + "#" + seq;
    }
    /** Fetches what this client missed; null until set. */
    private volatile Backfill gapFiller;

    /** Fetches and opens messages this client missed (blocking; the messages are not reported yet). */
    public interface Backfill {
        /** In every conversation: after this session's cursor, or after the read cursor where it has none. */
        List<ChatMessage> all();

        /** In one conversation: after this session's cursor, or after the read cursor if {@code fromReadCursor}. */
        List<ChatMessage> conversation(String conversationId, boolean fromReadCursor);
    }

    /** What to use when a push shows that earlier messages of its conversation were missed. */
    public void fillGapsWith(Backfill filler) {
        this.gapFiller = filler;
    }

    /** Whether the connection is back, when sends are retried across reconnects; null otherwise. */
    private volatile BooleanSupplier reconnects;
    /** The references (keys and hashes) of files in messages this client opened, by file id. */
    private final Map<String, FileReference> files = bounded();
    private final Map<String, String> shownAt = bounded();
    /** {@link #shownAt} on disk, so that a replay is caught in later sessions too. */
    private final ReplayLog shownLog;
    /**
     * The client message ids of the sends this device made: a push or sync of one of them (which can come
     * before its ack, when the connection failed over mid-send) is this device's own echo, not news.
     */
    private final Map<String, Boolean> sentHere = bounded();
    /** The newest seq reported per conversation: the cursors of the next sync. */
    private final Map<String, Long> cursors = new ConcurrentHashMap<>();

    /** A messenger whose memories of message ids keep the newest {@code remembered} entries each (at least 1). */
    public Messenger(Function<Envelope.Builder, CompletableFuture<Envelope>> rpc, long myId, String myName, int myKeyId,
                     IdentityKeyPair identity, String serverId, LocalKeyStore keyStore, SecureRandom random, Clock clock,
                     ChatListener listener, SerialExecutor events, int remembered) {
        this(rpc, myId, myName, myKeyId, identity, serverId, keyStore, random, clock, listener, events,
                new TrustStore(rpc, keyStore, serverId, myName, identity, random, clock),
                new ReplayLog(keyStore.shownFile(serverId, myName), remembered), remembered);
    }

    private Messenger(Function<Envelope.Builder, CompletableFuture<Envelope>> rpc, long myId, String myName, int myKeyId,
                      IdentityKeyPair identity, String serverId, LocalKeyStore keyStore, SecureRandom random, Clock clock,
                      ChatListener listener, SerialExecutor events, TrustStore pins, ReplayLog shownLog, int remembered) {
        if (remembered < 1) {
            throw new IllegalArgumentException("a messenger remembers at least 1 message id");
        }
        this.remembered = remembered;
        this.rpc = rpc;
        this.myId = myId;
        this.myName = myName;
        this.myKeyId = myKeyId;
        this.identity = identity;
        this.serverId = serverId;
        this.keyStore = keyStore;
        this.pins = pins;
        this.keys = new KeyBook(rpc, myId, myName, identity, pins);
        this.receipts = new ReceiptExchange(rpc, keys, new MessageSealer.Sender(myId, myKeyId, identity), this::openSealed, random, clock);
        this.memberships = new GroupMemberships(rpc, keys, myId, myKeyId, identity, random, clock, keyStore.chainsFile(serverId, myName));
        this.shownLog = shownLog;
        shownAt.putAll(shownLog.load());
        this.random = random;
        this.clock = clock;
        this.listener = listener;
        this.events = events;
    }

    /** A thread-safe map that forgets its oldest entries beyond {@link #remembered} (read when an entry is added). */
    private <V> Map<String, V> bounded() {
        return java.util.Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > remembered;
            }
        });
    }

    // ---- sending

    /** Seals {@code text} for the target's members and sends it; retries when a group's members changed. */
    public SentMessage send(Target target, String text) {
        return send(target, Content.newBuilder().setText(checkedText(text)).build(), List.of());
    }

    /** Sends {@code text} as a reply to message {@code seq} of the conversation. */
    public SentMessage reply(Target target, long seq, String text) {
        return send(target, Content.newBuilder().setText(checkedText(text)).setReplyTo(requireSeq(seq)).build(), List.of());
    }

    /** Sends a new text for message {@code seq}, which this user wrote (others ignore edits of other people's messages). */
    public SentMessage edit(Target target, long seq, String text) {
        return send(target, Content.newBuilder().setEdit(Edit.newBuilder().setSeq(requireSeq(seq)).setText(checkedText(text))).build(),
                List.of());
    }

    /** Reacts to message {@code seq} with {@code emoji}, or takes that reaction back. */
    public SentMessage react(Target target, long seq, String emoji, boolean removed) {
        if (emoji.isBlank() || emoji.getBytes(StandardCharsets.UTF_8).length > MessageLimits.MAX_REACTION_BYTES
                || emoji.codePoints().anyMatch(Character::isISOControl)) {
            throw ChatException.local(ErrorCode.BAD_REQUEST, "a reaction is one emoji or a short text (1 to "
                    + MessageLimits.MAX_REACTION_BYTES + " bytes, no control characters)");
        }
        return send(target, Content.newBuilder().setReaction(Reaction.newBuilder().setSeq(requireSeq(seq)).setEmoji(emoji)
                .setRemoved(removed)).build(), List.of());
    }

    /**
     * Deletes message {@code seq}, which this user sent, for everyone, with this user's edits of it (found in the
     * history after it).
     *
     * @return the seqs deleted
     */
    public List<Long> delete(Target target, long seq) {
        String conversationId = address(target).conversationId();
        List<Long> seqs = new ArrayList<>(List.of(requireSeq(seq)));
        for (ChatMessage opened : pagesBack(conversationId, seq, Integer.MAX_VALUE, m -> m.getSeq() > seq && m.getSenderId() == myId)) {
            if (opened.edits() == seq) {
                seqs.add(opened.seq());
            }
        }
        await(rpc.apply(Envelope.newBuilder().setDeleteMessages(DeleteMessages.newBuilder().setConversationId(conversationId)
                .addAllSeqs(seqs))));
        return List.copyOf(seqs);
    }

    /**
     * Tells the members online now that this user is typing in the conversation, or stopped: sealed in this session's
     * sender chain like a message, relayed by the server and never stored.
     */
    public void typing(Target target, boolean typing) {
        Addressed addressed = address(target);
        byte[] sealed = sealInChain(addressed, MessageIds.next("notice-"),
                Content.newBuilder().setTyping(dev.fastchat.protocol.v1.Typing.newBuilder().setStopped(!typing)).build(), true).bytes();
        await(rpc.apply(Envelope.newBuilder().setNotify(dev.fastchat.protocol.v1.Notify.newBuilder()
                .setConversationId(addressed.conversationId()).setSealed(ByteString.copyFrom(sealed)))));
    }

    // ---- receipts

    /** This session's receipts: those it sends, and those it heard for this user's messages. */
    private final ReceiptExchange receipts;
    private volatile PushSampler sampler;

    /** Whether this user tells others when it read their messages (delivered receipts always go). */
    public void sendReadReceipts(boolean on) {
        receipts.sendReadReceipts(on);
    }

    /** For load generators: which pushed messages are opened (null: all). */
    public void pushSampler(PushSampler sampler) {
        this.sampler = sampler;
    }

    /** Whether this client sends receipts at all (a load generator does not). */
    public void sendReceipts(boolean on) {
        receipts.sendReceipts(on);
    }

    /** After the user read a conversation up to {@code seq}: tells each sender of what was read, if read receipts are on. */
    public void readUpTo(String conversationId, long seq) {
        receipts.readUpTo(conversationId, seq);
    }

    /** Fetches the receipts kept for this user's messages in a conversation, and records those that check out. */
    public void fetchReceipts(String conversationId) {
        receipts.fetch(conversationId);
    }

    /** How far message {@code seq} of this user's got, from the receipts heard (fetch first for the latest). */
    public MessageStatus status(Target target, long seq) {
        Addressed addressed = address(target);
        List<List<Long>> known = receipts.of(addressed.conversationId(), seq);
        java.util.function.Function<List<Long>, List<String>> names = ids -> ids.stream().filter(id -> id != myId)
                .map(id -> keys.user(id).getUsername()).sorted().toList();
        int others = (int) addressed.recipients().stream().filter(r -> r.accountId() != myId).count();
        return new MessageStatus(seq, others, names.apply(known.get(0)), names.apply(known.get(1)));
    }

    /** How far a notice's time may be from this device's: an older one is a replay, or news no more. */
    private static final java.time.Duration NOTICE_WINDOW = java.time.Duration.ofSeconds(30);

    /** Opens a member's notice and reports it; one that does not open, or is stale, is dropped (it is not a message). */
    private void openNotice(dev.fastchat.protocol.v1.Notice notice) {
        if (notice.getSenderId() == myId) {
            return;
        }
        try {
            UserKeys sender = keys.user(notice.getSenderId());
            if (keys.trust(sender) == KeyTrust.KEY_CHANGED) {
                return;
            }
            Message message = Message.newBuilder().setConversationId(notice.getConversationId()).setSenderId(notice.getSenderId())
                    .setSealed(notice.getSealed()).build();
            MessageSealer.Opened opened = openSealed(message, sender.getIdentity().getEd25519Public().toByteArray());
            if (!opened.content().hasTyping()
                    || java.time.Duration.between(opened.sentAt(), clock.instant()).abs().compareTo(NOTICE_WINDOW) > 0) {
                return;
            }
            listener.typing(notice.getConversationId(), sender.getUsername(), !opened.content().getTyping().getStopped());
        } catch (OpenException | ChatException e) {
            log.debug("a notice in {} from {} dropped: {}", notice.getConversationId(), notice.getSenderId(), e.getMessage());
        }
    }

    /**
     * The newest {@code depth} messages of a conversation (fewer at its start), opened here, newest first: pages of
     * history fetched and opened one after the other (what does not open is left out and reported).
     */
    public List<ChatMessage> scan(Target target, int depth) {
        return pagesBack(address(target).conversationId(), 0, depth, m -> true);
    }

    /**
     * Pages back through a conversation's history from the newest, until a page reaches {@code downTo} (its start, for
     * 0) or {@code depth} messages were fetched, opening those {@code wanted} picks: opened, newest first.
     */
    private List<ChatMessage> pagesBack(String conversationId, long downTo, int depth, java.util.function.Predicate<Message> wanted) {
        List<ChatMessage> opened = new ArrayList<>();
        long before = 0;
        int fetched = 0;
        while (fetched < depth) {
            dev.fastchat.protocol.v1.HistoryPage page = await(rpc.apply(Envelope.newBuilder().setHistory(
                    dev.fastchat.protocol.v1.History.newBuilder().setConversationId(conversationId).setBeforeSeq(before)
                            .setLimit(Math.min(MessageLimits.MAX_HISTORY_PAGE, depth - fetched))))).getHistoryPage();
            if (page.getMessagesCount() == 0) {
                break;
            }
            opened.addAll(openAll(page.getMessagesList().stream().filter(wanted).toList(), false));
            fetched += page.getMessagesCount();
            before = page.getMessages(page.getMessagesCount() - 1).getSeq();
            if (before <= Math.max(1, downTo)) {
                break;
            }
        }
        return opened;
    }

    private static long requireSeq(long seq) {
        if (seq <= 0) {
            throw ChatException.local(ErrorCode.BAD_REQUEST, "no message #" + seq + ": messages are numbered from 1");
        }
        return seq;
    }

    /** {@code text} if it may be sent: not blank, at most the limit. */
    private static String checkedText(String text) {
        if (text.isBlank()) {
            throw ChatException.local(ErrorCode.BAD_REQUEST, "the message is empty");
        }
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MessageLimits.MAX_TEXT_BYTES) {
            throw ChatException.local(ErrorCode.TOO_LARGE, "the message is over the limit of " + MessageLimits.MAX_TEXT_BYTES
                    + " bytes (" + bytes + ")");
        }
        return text;
    }

    /**
     * Seals {@code content} for the target's members and sends it, naming the files it shares; retries when
     * a group's members changed. The first message of a new sender chain goes out right behind the chain's announcement,
     * without waiting for its ack: the server takes a connection's sends and announcements in order, and refuses a
     * message whose chain it has not stored (then it is sent again behind a new announcement).
     */
    public SentMessage send(Target target, Content content, List<String> fileIds) {
        String clientMsgId = MessageIds.next();
        int lostAnnouncements = 0;
        for (long started = System.nanoTime(); ; ) {
            Addressed addressed = address(target);
            CompletableFuture<Envelope> announcement = null;
            ChatException failure;
            try {
                InChain sealed = sealInChain(addressed, clientMsgId, content, false);
                announcement = sealed.announcement();
                return whileReconnecting(() -> sendSealed(addressed.conversationId(), clientMsgId, sealed.bytes(), fileIds));
            } catch (ChatException e) {
                failure = e;
            }
            ChatException unannounced = announcement == null ? null : failureOf(announcement);
            if (unannounced != null) { // then the message was not stored either: it was refused for its chain
                senderChains.drop(addressed.conversationId());
                if (unannounced.code() == ErrorCode.UNAVAILABLE && failure.code() == ErrorCode.MEMBERS_CHANGED
                        && ++lostAnnouncements <= LOST_ANNOUNCEMENTS_LIMIT) {
                    continue; // the announcement was lost with a connection, and the message sent again without it
                }
                if (unannounced.code() != ErrorCode.UNAVAILABLE) {
                    failure = unannounced; // its refusal (rate, membership) is the reason, not the chain it left unknown
                }
            }
            if (!GroupMemberships.membersChangedMeanwhile(failure, started)) {
                throw failure;
            }
            memberships.forget(target.name());
            senderChains.drop(addressed.conversationId());
        }
    }

    /** The error {@code request} failed with, once answered; null if it succeeded. */
    private static ChatException failureOf(CompletableFuture<Envelope> request) {
        try {
            await(request);
            return null;
        } catch (ChatException e) {
            return e;
        }
    }

    /** After how many messages, and at what age, this session's sender chains are replaced by new ones. */
    public void rotateChains(int messages, java.time.Duration age) {
        senderChains.rotation(messages, age);
    }

    /** A message sealed in a sender chain; {@code announcement} is the request announcing the chain, when not waited for. */
    private record InChain(byte[] bytes, CompletableFuture<Envelope> announcement) {}

    /**
     * Seals {@code content} in this session's sender chain of the conversation: once, whatever the number of
     * members. The chain is announced to the members (sealed to each, the only step that costs per member) before its
     * first message, and replaced when the members or their keys changed, or when it is due.
     *
     * @param awaitAnnouncement wait until a new chain's announcement is stored (retried after a reconnect); else send
     *     it and return its request in flight, for the message to go out right behind it
     */
    private InChain sealInChain(Addressed addressed, String clientMsgId, Content content, boolean awaitAnnouncement) {
        MessageSealer.Sender me = new MessageSealer.Sender(myId, myKeyId, identity);
        java.util.concurrent.locks.ReentrantLock lock = senderChains.lock(addressed.conversationId());
        lock.lock();
        try {
            Instant now = clock.instant();
            SenderChains.Own chain = senderChains.usable(addressed.conversationId(), addressed.recipients(), now);
            CompletableFuture<Envelope> announcement = null;
            if (chain == null) {
                chain = senderChains.start(addressed.conversationId(), addressed.recipients(), now, random, myId);
                announcement = announce(me, chain, addressed, now, awaitAnnouncement);
            }
            return new InChain(SenderChains.seal(chain, me, clientMsgId, now, content), announcement);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stores the announcement of a new own chain: its key sealed to each member apart (the only step that costs per
     * member), so that each fetches, or is pushed, its own copy only.
     *
     * @return null once stored, when {@code await}; else the request in flight
     */
    private CompletableFuture<Envelope> announce(MessageSealer.Sender me, SenderChains.Own chain, Addressed addressed, Instant now,
                                                 boolean await) {
        byte[] chainId = chain.chain.chainId();
        Content key = Content.newBuilder().setSenderKey(chain.chain.announcement()).build();
        String clientMsgId = "chain-" + java.util.HexFormat.of().formatHex(chainId);
        AnnounceChain.Builder request = AnnounceChain.newBuilder().setConversationId(addressed.conversationId())
                .setChainId(ByteString.copyFrom(chainId));
        for (MessageSealer.Recipient recipient : addressed.recipients()) {
            request.addKeys(SealedChainKey.newBuilder().setAccountId(recipient.accountId()).setSealed(ByteString.copyFrom(
                    MessageSealer.seal(me, addressed.conversationId(), clientMsgId, now, key, List.of(recipient), random))));
        }
        try {
            if (!await) {
                try {
                    return rpc.apply(Envelope.newBuilder().setAnnounceChain(request));
                } catch (ChatException e) {
                    if (e.code() != ErrorCode.UNAVAILABLE) {
                        throw e;
                    } // not connected: it waits for the connection below, as an announcement waited for does
                }
            }
            whileReconnecting(() -> await(rpc.apply(Envelope.newBuilder().setAnnounceChain(request))));
            return null;
        } catch (RuntimeException e) {
            senderChains.drop(addressed.conversationId());
            throw e;
        }
    }

    /**
     * With auto-reconnect on: after a lost connection (or a server briefly unable to store), makes the very
     * same call again once connected, for up to a minute. The server stores a sealed message (or a chain's
     * announcement) at most once: a retry of one it had stored is answered as the first time.
     */
    private <T> T whileReconnecting(java.util.function.Supplier<T> call) {
        long deadline = System.nanoTime() + ConnectionWait.LIMIT.toNanos();
        while (true) {
            try {
                return call.get();
            } catch (ChatException e) {
                BooleanSupplier connected = reconnects;
                if (e.code() != ErrorCode.UNAVAILABLE || connected == null || System.nanoTime() > deadline) {
                    throw e;
                }
                ConnectionWait.await(connected, deadline, e);
            }
        }
    }

    /** Retry sends interrupted by a lost connection once {@code connected} holds again (auto-reconnect). */
    public void retryAfterReconnect(BooleanSupplier connected) {
        this.reconnects = connected;
    }

    /** Seals a text for the target's current members now, to send later with {@link #sendPrepared}. */
    public PreparedMessage prepare(Target target, String text) {
        checkedText(text);
        String clientMsgId = MessageIds.next();
        Addressed addressed = address(target);
        byte[] sealed = sealInChain(addressed, clientMsgId, Content.newBuilder().setText(text).build(), true).bytes();
        return new PreparedMessage(target, addressed.conversationId(), clientMsgId, sealed);
    }

    /** Sends a prepared message (fails with {@code MEMBERS_CHANGED} if its group changed since). */
    public SentMessage sendPrepared(PreparedMessage message) {
        return whileReconnecting(() -> sendSealed(message.conversationId(), message.clientMsgId(), message.sealed(), List.of()));
    }

    /**
     * {@link #sendPrepared}, without a thread waiting for the ack: the request goes out from the caller's thread and
     * the ack is taken on {@code executor}. Only when the connection is lost (with auto-reconnect on) does a thread of
     * {@code executor} wait, to make the same call again once connected.
     */
    public CompletableFuture<SentMessage> sendPreparedAsync(PreparedMessage message, Executor executor) {
        CompletableFuture<Envelope> sent;
        try {
            sent = rpc.apply(sendRequest(message.conversationId(), message.clientMsgId(), message.sealed(), List.of()));
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        return sent.handleAsync((response, failure) -> {
            if (failure == null) {
                return acknowledged(response.getSendAck(), message.clientMsgId());
            }
            Throwable cause = Failures.cause(failure);
            if (cause instanceof ChatException e && e.code() == ErrorCode.UNAVAILABLE && reconnects != null) {
                return sendPrepared(message);
            }
            throw cause instanceof RuntimeException unchecked ? unchecked : new CompletionException(cause);
        }, executor);
    }

    /** Sends an already sealed message; a retry with the same id and bytes is answered with the first ack. */
    public SentMessage sendSealed(String conversationId, String clientMsgId, byte[] sealed, List<String> fileIds) {
        return acknowledged(await(rpc.apply(sendRequest(conversationId, clientMsgId, sealed, fileIds))).getSendAck(), clientMsgId);
    }

    private Envelope.Builder sendRequest(String conversationId, String clientMsgId, byte[] sealed, List<String> fileIds) {
        sentHere.put(clientMsgId, Boolean.TRUE);
        return Envelope.newBuilder().setSend(Send.newBuilder()
                .setConversationId(conversationId).setClientMsgId(clientMsgId).setSealed(ByteString.copyFrom(sealed))
                .addAllFileIds(fileIds));
    }

    /** Takes note of the server's ack of message {@code clientMsgId}, which this client sent (its id, not the ack's). */
    private SentMessage acknowledged(SendAck ack, String clientMsgId) {
        String key = seenKey(ack.getConversationId(), ack.getSeq());
        seen.put(key, Boolean.TRUE); // this session wrote it; a push of it is not news
        shown(myId, clientMsgId, key);
        // The cursor moves past this client's own message only if nothing before it is missing: a message of
        // someone else committed just before it may still be on its way, and must not be skipped.
        cursors.compute(ack.getConversationId(), (id, cursor) ->
                cursor == null ? (ack.getSeq() == 1 ? Long.valueOf(1) : null)
                        : ack.getSeq() == cursor + 1 ? Long.valueOf(ack.getSeq()) : cursor);
        return new SentMessage(ack.getConversationId(), ack.getSeq(), ack.getClientMsgId(), Instant.ofEpochMilli(ack.getServerTimeMs()));
    }

    /** A conversation id and the keys to seal to. */
    public record Addressed(String conversationId, List<MessageSealer.Recipient> recipients) {}

    /** Resolves who a message to {@code target} must be sealed to, refusing changed keys. */
    public Addressed address(Target target) {
        String name = canonical(target.name());
        if (!target.group()) {
            UserKeys peer = keys.user(name);
            keys.requireTrusted(peer);
            if (peer.getAccountId() == myId) {
                throw ChatException.local(ErrorCode.BAD_REQUEST, "you cannot send a direct message to yourself");
            }
            return new Addressed(ConversationId.direct(myId, peer.getAccountId()).value(),
                    List.of(recipient(myId, myKeyId, identity.publicIdentity().x25519()), recipient(peer)));
        }
        MemberList members = memberships.proven(name);
        List<MessageSealer.Recipient> recipients = new ArrayList<>();
        for (Member member : members.getMembersList()) {
            if (member.getUser().getAccountId() != myId) {
                keys.requireTrusted(member.getUser());
            }
            recipients.add(recipient(member.getUser()));
        }
        return new Addressed(members.getGroup().getConversationId(), recipients);
    }

    static MessageSealer.Recipient recipient(UserKeys user) {
        return recipient(user.getAccountId(), user.getIdentity().getKeyId(), user.getIdentity().getX25519Public().toByteArray());
    }

    private static MessageSealer.Recipient recipient(long id, int keyId, byte[] x25519) {
        return new MessageSealer.Recipient(id, keyId, x25519);
    }

    // ---- receiving

    /**
     * Opens a message from the server: verifies, decrypts, drops duplicates and replays.
     *
     * @param onlyNew whether a message reported before is left out (for pushes and syncs; not for history)
     * @return the message, or empty if it was reported before
     * @throws OpenException if it must not be shown (the caller reports it)
     */
    public Optional<ChatMessage> open(Message message, boolean onlyNew) {
        String key = seenKey(message.getConversationId(), message.getSeq());
        // Claimed before it is opened: a push and a background fetch of the same message, opened at once on two
        // threads, report it once.
        if (onlyNew && seen.putIfAbsent(key, Boolean.FALSE) != null) {
            return Optional.empty();
        }
        try {
            return verifyAndOpen(message, key, onlyNew);
        } catch (OpenException e) {
            // Refused once is refused for good: do not report it again, and let syncs move past it. (A
            // ChatException, such as a failed key lookup, is not about the message: it may open later.)
            seen.put(key, Boolean.TRUE);
            cursors.merge(message.getConversationId(), message.getSeq(), Math::max);
            throw e;
        } catch (RuntimeException e) {
            if (onlyNew) {
                seen.remove(key, Boolean.FALSE);
            }
            throw e;
        }
    }

    private Optional<ChatMessage> verifyAndOpen(Message message, String key, boolean onlyNew) {
        UserKeys sender = keys.user(message.getSenderId());
        KeyTrust trust = keys.trust(sender);
        if (message.getDeleted()) { // nothing left to check: the tombstone says only that the sender deleted it
            seen.put(key, Boolean.TRUE);
            cursors.merge(message.getConversationId(), message.getSeq(), Math::max);
            Instant at = Instant.ofEpochMilli(message.getServerTimeMs());
            return Optional.of(new ChatMessage(message.getConversationId(), conversationOf(message, sender), message.getSeq(),
                    message.getSenderId(), sender.getUsername(), message.getSenderId() == myId, "", at, at, trust, null, 0, 0, null, true));
        }
        PinnedKey pinned = keys.pinOf(sender.getAccountId()).orElse(null);
        byte[] signingKey = trust == KeyTrust.KEY_CHANGED && pinned != null
                ? pinned.identity().ed25519()
                : sender.getIdentity().getEd25519Public().toByteArray();
        MessageSealer.Opened opened;
        try {
            opened = openSealed(message, signingKey);
            if (trust == KeyTrust.KEY_CHANGED && pinned != null && pinned.name().equals(sender.getUsername())) {
                trust = pinned.verified() ? KeyTrust.VERIFIED : KeyTrust.PINNED; // signed with the pinned key after all
            }
        } catch (OpenException e) {
            if (trust != KeyTrust.KEY_CHANGED || e.reason() != OpenException.Reason.BAD_SIGNATURE) {
                throw e;
            }
            opened = openSealed(message, sender.getIdentity().getEd25519Public().toByteArray());
        }
        Content content = opened.content();
        String earlier = shown(message.getSenderId(), opened.header().getClientMsgId(), key);
        if (earlier != null && !earlier.equals(key)) {
            throw new OpenException(OpenException.Reason.REPLAYED, "a replay of the message shown at " + earlier + " (dropped)");
        }
        seen.put(key, Boolean.TRUE);
        cursors.merge(message.getConversationId(), message.getSeq(), Math::max);
        SharedFile file = null;
        String text;
        if (opened.content().hasFile()) {
            FileReference reference = opened.content().getFile();
            if (reference.getKey().size() != FileCipher.KEY_BYTES || reference.getSha256().size() != 32
                    || !dev.fastchat.protocol.FileIds.isValid(reference.getFileId())) {
                throw new OpenException(OpenException.Reason.MALFORMED, "the file reference is incomplete");
            }
            files.put(reference.getFileId(), reference);
            file = new SharedFile(reference.getFileId(), reference.getName(), reference.getSize(), reference.getMediaType(),
                    reference.getWidth(), reference.getHeight());
            text = "";
        } else if (opened.content().hasText()) {
            text = opened.content().getText();
        } else if (opened.content().hasEdit() && opened.content().getEdit().getSeq() > 0) {
            text = opened.content().getEdit().getText();
        } else if (opened.content().hasReaction() && opened.content().getReaction().getSeq() > 0) {
            String emoji = opened.content().getReaction().getEmoji();
            if (emoji.isEmpty() || emoji.getBytes(StandardCharsets.UTF_8).length > MessageLimits.MAX_REACTION_BYTES
                    || emoji.codePoints().anyMatch(Character::isISOControl)) {
                throw new OpenException(OpenException.Reason.MALFORMED, "the reaction is not one emoji or a short text");
            }
            text = "";
        } else {
            throw new OpenException(OpenException.Reason.MALFORMED, "this kind of content needs a newer client");
        }
        if (text.getBytes(StandardCharsets.UTF_8).length > MessageLimits.MAX_TEXT_BYTES) {
            throw new OpenException(OpenException.Reason.TOO_LARGE, "the text is over the limit of " + MessageLimits.MAX_TEXT_BYTES + " bytes");
        }
        if (message.getSenderId() != myId) {
            receipts.opened(message.getConversationId(), message.getSeq(), message.getSenderId(), onlyNew);
        }
        if (onlyNew && message.getSenderId() == myId && sentHere.containsKey(opened.header().getClientMsgId())) {
            return Optional.empty(); // sent from this device: its send call reports it, with the ack
        }
        ChatMessage.Reaction reaction = content.hasReaction() ? new ChatMessage.Reaction(content.getReaction().getSeq(),
                content.getReaction().getEmoji(), content.getReaction().getRemoved()) : null;
        return Optional.of(new ChatMessage(message.getConversationId(), conversationOf(message, sender), message.getSeq(),
                message.getSenderId(), sender.getUsername(), message.getSenderId() == myId, text, opened.sentAt(),
                Instant.ofEpochMilli(message.getServerTimeMs()), trust, file, content.getReplyTo(),
                content.hasEdit() ? content.getEdit().getSeq() : 0, reaction, false));
    }

    /** Where a message was sent: the other user of a direct conversation, or the group. */
    private Target conversationOf(Message message, UserKeys sender) {
        return message.getGroupName().isEmpty()
                ? Target.user(message.getSenderId() == myId
                        ? keys.user(ConversationId.parse(message.getConversationId()).orElseThrow().peerOf(myId)).getUsername()
                        : sender.getUsername())
                : Target.group(message.getGroupName());
    }

    /**
     * Checks and opens a sealed message with the sender's signing key: sealed to each recipient (version 2, and
     * version 1 of history), or in a sender chain (version 3), whose announcement is fetched the first time.
     */
    private MessageSealer.Opened openSealed(Message message, byte[] signingKey) {
        byte[] sealed = message.getSealed().toByteArray();
        dev.fastchat.protocol.v1.MessageHeader header = MessageSealer.header(sealed);
        if (header.getVersion() != SenderChain.VERSION) {
            return MessageSealer.open(sealed, message.getConversationId(), message.getSenderId(), signingKey, myId, identity);
        }
        byte[] chainId = header.getChainId().toByteArray();
        SenderChain.Receiving chain = receivingChain(message.getConversationId(), message.getSenderId(), chainId, signingKey);
        synchronized (chain) {
            return chain.open(sealed, message.getConversationId(), message.getSenderId(), signingKey);
        }
    }

    /**
     * The sender chain a message is sealed in: opened before, or opened now from this user's copy of its announcement
     * (pushed when it was announced, or fetched from the server; sealed to this user, if this user was a member when it
     * was announced, and signed by the sender).
     */
    private SenderChain.Receiving receivingChain(String conversationId, long senderId, byte[] chainId, byte[] signingKey) {
        SenderChain.Receiving known = senderChains.received(conversationId, senderId, chainId);
        if (known != null) {
            return known;
        }
        byte[] sealed = senderChains.pushed(conversationId, senderId, chainId);
        if (sealed == null) {
            // A new chain often comes with a failover (the sender's new session): ask again once reconnected rather
            // than report a message that will open.
            sealed = whileReconnecting(() -> await(rpc.apply(Envelope.newBuilder().setGetChain(GetChain.newBuilder()
                    .setConversationId(conversationId).setSenderId(senderId).setChainId(ByteString.copyFrom(chainId))))))
                    .getChainAnnouncement().getSealed().toByteArray();
        }
        if (sealed.length == 0) {
            throw new OpenException(OpenException.Reason.UNKNOWN_CHAIN, "the server holds no key of the sender chain this"
                    + " message is sealed in for this user");
        }
        MessageSealer.Opened opened = MessageSealer.open(sealed, conversationId, senderId, signingKey, myId, identity);
        if (!opened.content().hasSenderKey()
                || !java.security.MessageDigest.isEqual(opened.content().getSenderKey().getChainId().toByteArray(), chainId)) {
            throw new OpenException(OpenException.Reason.UNKNOWN_CHAIN, "the server served the announcement of another chain");
        }
        SenderChain.Receiving chain = new SenderChain.Receiving(conversationId, senderId, opened.content().getSenderKey());
        senderChains.keep(chain);
        return chain;
    }

    /**
     * Records where the message {@code senderId}/{@code clientMsgId} is shown, unless it was shown before.
     *
     * @return where it was shown before, or null
     */
    private String shown(long senderId, String clientMsgId, String key) {
        String earlier = shownAt.putIfAbsent(senderId + "/" + clientMsgId, key);
        if (earlier == null) {
            shownLog.append(senderId, clientMsgId, key);
        }
        return earlier;
    }

    /** Opens a batch, reporting refused messages to the listener; keeps the order. */
    public List<ChatMessage> openAll(Collection<Message> messages, boolean onlyNew) {
        List<ChatMessage> opened = new ArrayList<>();
        for (Message message : messages) {
            try {
                open(message, onlyNew).ifPresent(opened::add);
            } catch (OpenException | ChatException e) {
                events.execute(() -> listener.rejected(message.getConversationId(), message.getSeq(), e.getMessage()));
            }
        }
        return opened;
    }

    /** The reference of a file shared in a message this client opened, if it has seen one. */
    public Optional<FileReference> fileReference(String fileId) {
        return Optional.ofNullable(files.get(fileId));
    }

    /** The newest seq seen per conversation. */
    public Map<String, Long> cursors() {
        return Map.copyOf(cursors);
    }

    /** Tries the gap filler again after a while (1, 2, 4 ... 30 s; 8 times), on the event thread. */
    private void fillGapLater(int attempt) {
        long delayMillis = Math.min(30_000L, 1_000L << Math.min(attempt - 1, 5));
        CompletableFuture.delayedExecutor(delayMillis, java.util.concurrent.TimeUnit.MILLISECONDS).execute(() -> events.execute(() -> {
            Backfill filler = gapFiller;
            if (filler == null) {
                return;
            }
            try {
                filler.all().forEach(listener::message);
            } catch (RuntimeException e) {
                if (attempt < 8) {
                    fillGapLater(attempt + 1);
                } else {
                    log.debug("gap not filled after {} tries: {}", attempt, e.getMessage());
                }
            }
        }));
    }

    /** Opens a pushed message and reports it (or its refusal) to the listener; on the event thread. */
    private void report(Message message) {
        PushSampler picks = sampler;
        if (leftUnopened(message)) {
            // Claimed as if reported, so that no sync or gap fill reports it later; the sampler hears of it once.
            if (seen.putIfAbsent(seenKey(message.getConversationId(), message.getSeq()), Boolean.TRUE) == null) {
                cursors.merge(message.getConversationId(), message.getSeq(), Math::max);
                picks.unopened(message.getConversationId(), message.getSeq(), message.getSenderId());
            }
            return;
        }
        try {
            open(message, true).ifPresent(listener::message);
        } catch (OpenException | ChatException e) {
            listener.rejected(message.getConversationId(), message.getSeq(), e.getMessage());
        }
    }

    /**
     * Fetches and opens, on a thread of its own, what is unread in a conversation (after the read cursor), then reports
     * it on the event thread; what was reported already is not reported again.
     */
    private void fetchBacklog(String conversationId, Backfill filler) {
        Thread.ofVirtual().name("fastchat-backlog").start(() -> {
            try {
                List<ChatMessage> backlog = filler.conversation(conversationId, true);
                events.execute(() -> backlog.forEach(listener::message));
            } catch (RuntimeException e) {
                log.debug("the backlog of {} was not fetched now: {}", conversationId, e.getMessage());
            }
        });
    }

    /**
     * Reports a pushed message, after what this session misses before it; on the event thread, or (left unopened, with
     * nothing to fetch before it) on the network thread while the event thread is idle.
     */
    private void deliver(Message message) {
        Backfill filler = gapFiller;
        if (filler != null && message.getSeq() > 1 && !cursors.containsKey(message.getConversationId())) {
            // The conversation is new to this session (after a log-in, every one is): show this message now,
            // and what is unread before it after it, fetched in the background for this conversation alone.
            // Thousands of unread messages do not stand between the user and what arrives now.
            report(message);
            fetchBacklog(message.getConversationId(), filler);
            return;
        }
        if (filler != null && missesEarlier(message)) {
            // An earlier message has not arrived (pushes from several nodes can overtake each other, or one
            // was lost): fetch what this conversation misses first, so that the listener sees seq order.
            try {
                filler.conversation(message.getConversationId(), false).forEach(listener::message);
            } catch (RuntimeException e) {
                // Not shown before what comes before it: a later fetch brings it in order (a failover, say,
                // made the fetch fail: the reconnect's fetch, or this retry, does it).
                log.debug("gap before {} #{} not filled now: {}", message.getConversationId(), message.getSeq(), e.getMessage());
                fillGapLater(1);
                return;
            }
        }
        report(message);
    }

    /** Whether the sampler leaves this pushed message unopened. */
    private boolean leftUnopened(Message message) {
        PushSampler picks = sampler;
        return picks != null && !message.getDeleted() && !picks.open(message.getConversationId(), message.getSeq(), message.getSenderId());
    }

    /** Whether an earlier message of its conversation than this one has not been reported yet in this session. */
    private boolean missesEarlier(Message message) {
        Long cursor = cursors.get(message.getConversationId());
        return cursor != null && message.getSeq() > cursor + 1;
    }

    /** Handles a server push (on the network thread: hands the work to the event thread). */
    public void onPush(Envelope push) {
        switch (push.getBodyCase()) {
            case DELIVER -> {
                Message message = push.getDeliver().getMessage();
                // A message the load generator's sampler leaves unopened is only counted: done here, without waking the
                // event thread, when nothing waits there and nothing is missing before it (a gap is fetched, which
                // must not be waited for on the network thread).
                boolean counted = leftUnopened(message) && events.runNowIfIdle(() -> {
                    if (gapFiller != null && missesEarlier(message)) {
                        return false;
                    }
                    deliver(message);
                    return true;
                });
                if (!counted) {
                    events.execute(() -> deliver(message));
                }
            }
            case CHAIN_ANNOUNCEMENT -> { // opened when a message of the chain needs it
                var announced = push.getChainAnnouncement();
                // The sender's keys, as a lookup would answer (and checked against the pins as its answer is, when the
                // message is opened): the chain's first message then opens without one.
                if (announced.hasSender() && announced.getSender().getAccountId() == announced.getSenderId()) {
                    keys.rememberIfNew(announced.getSender());
                }
                senderChains.pushed(announced.getConversationId(), announced.getSenderId(), announced.getChainId().toByteArray(),
                        announced.getSealed().toByteArray());
            }
            case PRESENCE_CHANGED -> events.execute(() -> {
                var presence = push.getPresenceChanged().getPresence();
                listener.presence(new UserPresence(presence.getAccountId(), presence.getUsername(), presence.getOnline()));
            });
            case MEMBERSHIP_CHANGED -> {
                var changed = push.getMembershipChanged();
                memberships.forget(changed.getGroup().getName());
                events.execute(() -> listener.membership(new MembershipEvent(group(changed.getGroup()),
                        changed.getChange().name().toLowerCase(java.util.Locale.ROOT), changed.getUsername(), changed.getBy())));
            }
            case KEYS_CHANGED -> {
                UserKeys changed = push.getKeysChanged().getUser();
                keys.remember(changed);
                memberships.forgetMemberLists();
                if (changed.getAccountId() != myId) {
                    events.execute(() -> {
                        if (keys.trust(changed) == KeyTrust.KEY_CHANGED) {
                            listener.contactKeyChanged(changed.getUsername());
                        }
                    });
                }
            }
            case SYNC_HINT -> events.execute(() -> { // pushes from other nodes may have been lost: fetch what was missed
                Backfill filler = gapFiller;
                if (filler != null) {
                    try {
                        filler.all().forEach(listener::message);
                    } catch (RuntimeException e) {
                        log.debug("sync after the server's hint not done now: {}", e.getMessage());
                    }
                }
            });
            case NOTICE -> events.execute(() -> openNotice(push.getNotice()));
            case RECEIPT_NOTICE -> events.execute(() -> {
                var notice = push.getReceiptNotice();
                try {
                    if (receipts.heard(notice)) {
                        listener.receipt(notice.getConversationId(), keys.user(notice.getFrom()).getUsername(),
                                notice.getKind() == ReceiptKind.READ, notice.getUpToSeq());
                    }
                } catch (OpenException | ChatException e) {
                    log.debug("a receipt in {} from {} dropped: {}", notice.getConversationId(), notice.getFrom(), e.getMessage());
                }
            });
            case MESSAGES_DELETED -> events.execute(() -> listener.deleted(push.getMessagesDeleted().getConversationId(),
                    push.getMessagesDeleted().getSenderId(), List.copyOf(push.getMessagesDeleted().getSeqsList())));
            case READ_MARKED -> events.execute(() -> listener.readElsewhere(push.getReadMarked().getConversationId(),
                    push.getReadMarked().getSeq()));
            default -> { } // pushes of newer servers
        }
    }

    /** A group from its wire form. */
    public static ChatGroup group(GroupInfo info) {
        return new ChatGroup(info.getGroupId(), info.getName(), info.getConversationId(), info.getMyRole() != Role.ROLE_UNSPECIFIED,
                info.getMyRole() == Role.ADMIN, info.getMemberCount(), Instant.ofEpochMilli(info.getCreatedAtMs()));
    }

    // ---- keys

    /** The user's keys as the server hands them out now (cached for this session). */
    public UserKeys user(String name) {
        return keys.user(name);
    }

    /**
     * Pins the key the server hands out now for {@code name}, replacing a changed one (and any pin of the name).
     * A contact the user had verified is not accepted so: its new key must be verified ({@link #markVerified}).
     */
    public void accept(String name) {
        keys.accept(canonical(name));
        memberships.forgetMemberLists(); // the next group message looks the keys up again
    }

    /**
     * Records that the user compared the safety number of {@code name}'s current key (out of band) and it
     * matched: the key is pinned as verified, replacing a changed one.
     */
    public Verification markVerified(String name) {
        Verification result = keys.markVerified(canonical(name));
        memberships.forgetMemberLists();
        return result;
    }

    /** Releases what this session holds open (the log of shown messages); the files stay. */
    public void close() {
        receipts.close();
        shownLog.close();
    }

    /** Brings this user's pins from their other devices (the trust state on the server) before trusting anything. */
    public void pullTrust() {
        pins.pull();
    }

    /** Waits (at most {@code limit}) until the pins are stored on the server. */
    public void flushTrust(java.time.Duration limit) {
        pins.flush(limit);
    }

    /** Forgets the keys the server handed out, so the next use asks again (after a reconnect, say). */
    public void forgetServedKeys() {
        keys.forgetServed();
        memberships.forgetMemberLists();
    }

    /** This messenger with this user's new identity keys (replaced on this device), keeping what it has seen. */
    public Messenger withIdentity(int keyId, IdentityKeyPair newIdentity) {
        pins.replaceIdentity(newIdentity);
        Messenger replaced = new Messenger(rpc, myId, myName, keyId, newIdentity, serverId, keyStore, random, clock, listener, events,
                pins, shownLog, remembered);
        replaced.seen.putAll(seen);
        replaced.shownAt.putAll(shownAt);
        replaced.sentHere.putAll(sentHere);
        replaced.cursors.putAll(cursors);
        replaced.files.putAll(files);
        replaced.reconnects = reconnects;
        return replaced;
    }

    /** Safety number of this user and {@code name}, and whether the server's key for them is the pinned one. */
    public record Verification(String safetyNumber, KeyTrust trust) {}

    public Verification verify(String name) {
        return keys.verify(canonical(name));
    }

    /** The groups this user is in: their members as proven, and this user's changes of membership. */
    public GroupMemberships groups() {
        return memberships;
    }

    static String canonical(String name) {
        return Names.canonical(name).orElseThrow(() -> ChatException.local(ErrorCode.INVALID_NAME,
                "'" + Names.printable(name) + "' is not a valid name: " + Names.rule()));
    }

    /** Waits for a request, unwrapping its failure. */
    public static <T> T await(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }
}
