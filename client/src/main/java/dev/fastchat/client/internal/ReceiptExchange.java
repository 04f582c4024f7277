package dev.fastchat.client.internal;

import com.google.protobuf.ByteString;
import dev.fastchat.client.ChatException;
import dev.fastchat.crypto.MessageSealer;
import dev.fastchat.crypto.OpenException;
import dev.fastchat.protocol.v1.Content;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.GetReceipts;
import dev.fastchat.protocol.v1.Message;
import dev.fastchat.protocol.v1.Receipt;
import dev.fastchat.protocol.v1.ReceiptKind;
import dev.fastchat.protocol.v1.ReceiptNotice;
import dev.fastchat.protocol.v1.SendReceipt;
import dev.fastchat.protocol.v1.UserKeys;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * One session's receipts: it tells senders that their messages arrived here (a moment later, once for all that came
 * meanwhile) and, if the user allows, that they were read; and it checks the receipts others send for this user's
 * messages (sealed to this user, signed by the member they name, saying what the server says they say). Thread-safe.
 */
final class ReceiptExchange {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ReceiptExchange.class);
    private static final Duration DELIVERED_DELAY = Duration.ofMillis(300);

    private final Function<Envelope.Builder, CompletableFuture<Envelope>> rpc;
    private final KeyBook keys;
    private final MessageSealer.Sender me;
    /** Opens a sealed message with the given signing key (as a message is opened, to the receipt inside). */
    private final BiFunction<Message, byte[], MessageSealer.Opened> opener;
    private final SecureRandom random;
    private final Clock clock;
    private final ReceiptBook book = new ReceiptBook();
    private volatile boolean sendReadReceipts = true;
    private volatile boolean sendReceipts = true;
    /** Set by {@link #close}: receipts still due then are not sent. */
    private volatile boolean closed;
    /** Delivered receipts waiting to go, per conversation and sender: the newest seq (sent together a moment later). */
    private final Map<String, Long> deliveredDue = new ConcurrentHashMap<>();

    ReceiptExchange(Function<Envelope.Builder, CompletableFuture<Envelope>> rpc, KeyBook keys, MessageSealer.Sender me,
                    BiFunction<Message, byte[], MessageSealer.Opened> opener, SecureRandom random, Clock clock) {
        this.rpc = rpc;
        this.keys = keys;
        this.me = me;
        this.opener = opener;
        this.random = random;
        this.clock = clock;
    }

    /** Whether this user tells others when it read their messages (delivered receipts always go). */
    void sendReadReceipts(boolean on) {
        sendReadReceipts = on;
    }

    /** Whether this client sends receipts at all (a load generator does not). */
    void sendReceipts(boolean on) {
        sendReceipts = on;
    }

    /** Another member's message was opened here; {@code arrived}: it is new, and its sender is told it arrived. */
    void opened(String conversationId, long seq, long senderId, boolean arrived) {
        book.opened(conversationId, seq, senderId);
        if (arrived) {
            delivered(conversationId, senderId, seq);
        }
    }

    /** Tells the sender, a moment later and once for all that arrived meanwhile, that their message arrived here. */
    private void delivered(String conversationId, long senderId, long seq) {
        String key = conversationId + "|" + senderId;
        boolean[] first = {false};
        deliveredDue.compute(key, (k, due) -> {
            first[0] = due == null;
            return due == null ? seq : Math.max(due, seq);
        });
        if (first[0]) { // else one is on its way and takes this seq along
            CompletableFuture.delayedExecutor(DELIVERED_DELAY.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
                Long upTo = deliveredDue.remove(key);
                if (upTo != null && !closed) { // (a closed session sends nothing more, nor writes its key store)
                    send(conversationId, senderId, ReceiptKind.DELIVERED, upTo);
                }
            });
        }
    }

    /** After the user read a conversation up to {@code seq}: tells each sender of what was read, if read receipts are on. */
    void readUpTo(String conversationId, long seq) {
        Map<Long, Long> due = book.readUpTo(conversationId, seq);
        if (sendReadReceipts) {
            due.forEach((sender, upTo) -> send(conversationId, sender, ReceiptKind.READ, upTo));
        }
    }

    /** Seals a receipt to {@code to} alone and hands it to the server; a receipt that fails is not retried. */
    private void send(String conversationId, long to, ReceiptKind kind, long upTo) {
        if (!sendReceipts) {
            return;
        }
        try {
            UserKeys recipient = keys.user(to);
            Content content = Content.newBuilder().setReceipt(Receipt.newBuilder().setKind(kind).setUpToSeq(upTo)).build();
            byte[] sealed = MessageSealer.seal(me, conversationId, MessageIds.next("receipt-"), clock.instant(), content,
                    List.of(Messenger.recipient(recipient)), random);
            Messenger.await(rpc.apply(Envelope.newBuilder().setSendReceipt(SendReceipt.newBuilder()
                    .setConversationId(conversationId).setTo(to).setKind(kind).setUpToSeq(upTo).setSealed(ByteString.copyFrom(sealed)))));
        } catch (RuntimeException e) {
            log.debug("{} receipt up to {} in {} for {} not sent: {}", kind, upTo, conversationId, to, e.getMessage());
        }
    }

    /**
     * Checks a receipt for this user's messages (sealed to this user, signed by the member it names, saying what the
     * server says it says) and records it.
     *
     * @return whether it went further than known
     */
    boolean heard(ReceiptNotice notice) {
        UserKeys from = keys.user(notice.getFrom());
        Message message = Message.newBuilder().setConversationId(notice.getConversationId()).setSenderId(notice.getFrom())
                .setSealed(notice.getSealed()).build();
        MessageSealer.Opened opened = opener.apply(message, from.getIdentity().getEd25519Public().toByteArray());
        if (!opened.content().hasReceipt() || opened.content().getReceipt().getKind() != notice.getKind()
                || opened.content().getReceipt().getUpToSeq() != notice.getUpToSeq()) {
            throw new OpenException(OpenException.Reason.MALFORMED, "the receipt says otherwise than the server");
        }
        return book.heard(notice.getConversationId(), notice.getFrom(), notice.getKind() == ReceiptKind.READ, notice.getUpToSeq());
    }

    /** Fetches the receipts kept for this user's messages in a conversation, and records those that check out. */
    void fetch(String conversationId) {
        var list = Messenger.await(rpc.apply(Envelope.newBuilder().setGetReceipts(GetReceipts.newBuilder()
                .setConversationId(conversationId)))).getReceiptList();
        for (var notice : list.getReceiptsList()) {
            try {
                heard(notice);
            } catch (OpenException | ChatException e) {
                log.debug("a receipt in {} from {} dropped: {}", conversationId, notice.getFrom(), e.getMessage());
            }
        }
    }

    /** Who got, and who read, message {@code seq} of this user's, from the receipts heard: account ids, two lists. */
    List<List<Long>> of(String conversationId, long seq) {
        return book.of(conversationId, seq);
    }

    /** Sends no receipt from now on, not even those due. */
    void close() {
        closed = true;
    }
}
