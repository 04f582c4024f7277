package dev.fastchat.server.session;

import dev.fastchat.protocol.Envelopes;
import dev.fastchat.protocol.ProtocolVersion;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.Hello;
import dev.fastchat.protocol.v1.NodeInfo;
import dev.fastchat.protocol.v1.Pong;
import dev.fastchat.protocol.v1.Redirect;
import dev.fastchat.protocol.v1.Welcome;
import dev.fastchat.server.account.AccountService;
import dev.fastchat.server.admin.ServerMetrics;
import dev.fastchat.server.cluster.Cluster;
import dev.fastchat.storage.ConversationRefusedException;
import dev.fastchat.storage.NameTakenException;
import dev.fastchat.storage.StorageException;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes each request of a connection to its service and answers it exactly once: with the result or an
 * {@code Error}. Called on the transport's event loop; cheap requests (handshake, ping) are answered there,
 * everything that may block runs on the request executor (virtual threads).
 *
 * <p>Order of checks: a connection must send {@code Hello} first ({@code BAD_REQUEST} otherwise); requests
 * other than account requests need a log-in ({@code UNAUTHENTICATED}); at most
 * {@code max-inflight-requests} are accepted at once per connection (then its socket is not read until one
 * is answered: the client waits, no request is refused), and they run in turn with every other
 * connection's ({@link FairScheduler}). All connections together hold at most about {@code max-inflight-bytes} of
 * requests ({@link InflightRequests}): past that, a connection is not read until the node has served some.
 */
public final class RequestDispatcher {
    private static final Logger log = LoggerFactory.getLogger(RequestDispatcher.class);

    private final Welcome welcome;
    private final Services services;
    private final AccountService accounts;
    private final ExecutorService executor;
    private final InflightRequests inflight;
    /**
     * Requests served at once, all connections together: enough to keep the database pool and the write
     * batches full; the rest wait their connection's turn.
     */
    private static final int CONCURRENT_REQUESTS = 256;
    private final FairScheduler scheduler;

    private volatile Cluster cluster;
    private volatile String balance = "none";

    /** @param maxInflightBytes bytes of requests served at once, all connections together, above which none is read */
    public RequestDispatcher(Welcome welcome, Services services, ExecutorService executor, long maxInflightBytes) {
        this.welcome = welcome;
        this.inflight = new InflightRequests(maxInflightBytes);
        this.services = services;
        this.accounts = services.accounts();
        this.executor = executor;
        this.scheduler = new FairScheduler(executor, CONCURRENT_REQUESTS);
    }

    /**
     * The transport's word that {@code connection} has stopped reading its replies ({@code readsReplies} false:
     * its requests wait) or reads them again.
     */
    public void readsReplies(Connection connection, boolean readsReplies) {
        connection.state().pause(!readsReplies);
        if (readsReplies) {
            scheduler.resume(connection.state());
        }
    }

    /** The requests being served now, across connections. */
    public InflightRequests inflight() {
        return inflight;
    }

    /** Handles one envelope from {@code connection}. Never throws. */
    public void dispatch(Connection connection, Envelope request) {
        long id = request.getRequestId();
        switch (request.getBodyCase()) {
            case HELLO -> hello(connection, id, request.getHello());
            case PING -> connection.send(Envelope.newBuilder().setRequestId(id).setPong(Pong.getDefaultInstance()).build());
            case PONG -> { } // answer to our ping; the read itself reset the idle timer
            case GET_KDF_PARAMS -> greeted(connection, request, r -> accounts.kdfParams(r.getGetKdfParams()));
            case REGISTER -> greeted(connection, request, r -> startsSession(connection, accounts.register(connection, r.getRegister())));
            case LOGIN -> greeted(connection, request, r -> startsSession(connection, accounts.login(connection, r.getLogin())));
            case RESUME -> greeted(connection, request, r -> startsSession(connection, accounts.resume(connection, r.getResume())));
            case LOGOUT -> authenticated(connection, request, r -> {
                ConnectionState.LoggedIn user = connection.state().user();
                return accounts.logout(connection, r.getLogout()).thenApply(response -> {
                    services.presence().loggedOut(connection, user);
                    return response;
                });
            });
            case LIST_SESSIONS -> authenticated(connection, request, r -> accounts.listSessions(connection));
            case END_SESSION -> authenticated(connection, request, r -> accounts.endSession(connection, r.getEndSession()));
            case BLOCK_USER -> authenticated(connection, request, r -> accounts.block(connection, r.getBlockUser()));
            case LIST_BLOCKED -> authenticated(connection, request, r -> accounts.listBlocked(connection));
            case GET_TRUST_STATE -> authenticated(connection, request, r -> accounts.trustState(connection));
            case PUT_TRUST_STATE -> authenticated(connection, request, r -> accounts.putTrustState(connection, r.getPutTrustState()));
            case KEY_LOOKUP -> authenticated(connection, request, r -> services.keys().lookup(r.getKeyLookup()));
            case REPLACE_KEYS -> authenticated(connection, request, r -> accounts.replaceKeys(connection, r.getReplaceKeys())
                    .thenApply(keys -> services.keys().announce(connection, connection.state().user().accountId(),
                            connection.state().user().username(), keys)));
            case SEND -> authenticated(connection, request, r -> services.messages().send(connection, r.getSend()).thenApply(ack -> {
                services.files().attach(r.getSend().getFileIdsList(), ack.getSendAck().getConversationId(),
                        connection.state().user().accountId(), ack.getSendAck().getSeq());
                return ack;
            }));
            case ANNOUNCE_CHAIN -> authenticated(connection, request, r -> services.messages().announceChain(connection, r.getAnnounceChain()));
            case GET_CHAIN -> authenticated(connection, request, r -> services.messages().chain(connection, r.getGetChain()));
            case SEND_RECEIPT -> authenticated(connection, request, r -> services.messages().sendReceipt(connection, r.getSendReceipt()));
            case GET_RECEIPTS -> authenticated(connection, request, r -> services.messages().receipts(connection, r.getGetReceipts()));
            case NOTIFY -> authenticated(connection, request, r -> services.messages().notify(connection, r.getNotify()));
            case DELETE_MESSAGES -> authenticated(connection, request, r -> services.messages().delete(connection, r.getDeleteMessages()));
            case SYNC -> authenticated(connection, request, r -> services.messages().sync(connection, r.getSync()));
            case HISTORY -> authenticated(connection, request, r -> services.messages().history(connection, r.getHistory()));
            case GET_UNREAD -> authenticated(connection, request, r -> services.messages().unread(connection, r.getGetUnread()));
            case MARK_READ -> authenticated(connection, request, r -> services.messages().markRead(connection, r.getMarkRead()));
            case CREATE_GROUP -> authenticated(connection, request, r -> services.groups().create(connection, r.getCreateGroup()));
            case ADD_MEMBER -> authenticated(connection, request, r -> services.groups().add(connection, r.getAddMember()));
            case LIST_INVITATIONS -> authenticated(connection, request, r -> services.groups().invitations(connection));
            case ANSWER_INVITATION -> authenticated(connection, request, r -> services.groups().answer(connection, r.getAnswerInvitation()));
            case REMOVE_MEMBER -> authenticated(connection, request, r -> services.groups().remove(connection, r.getRemoveMember()));
            case PROMOTE_MEMBER -> authenticated(connection, request, r -> services.groups().promote(connection, r.getPromoteMember()));
            case LEAVE_GROUP -> authenticated(connection, request, r -> services.groups().leave(connection, r.getLeaveGroup()));
            case LIST_GROUPS -> authenticated(connection, request, r -> services.groups().list(connection));
            case LIST_MEMBERS -> authenticated(connection, request, r -> services.groups().members(connection, r.getListMembers()));
            case WHO_IS_ONLINE -> authenticated(connection, request, r -> services.presence().who(connection, r.getWhoIsOnline()));
            case LIST_DIRECTORY -> authenticated(connection, request, r -> services.presence().directory(r.getListDirectory()));
            case UPLOAD_START -> authenticated(connection, request, r -> services.files().start(connection, r.getUploadStart()));
            case UPLOAD_CHUNK -> authenticated(connection, request, r -> services.files().chunk(connection, r.getUploadChunk()));
            case UPLOAD_DONE -> authenticated(connection, request, r -> services.files().finish(connection, r.getUploadDone()));
            case FILE_LOOKUP -> authenticated(connection, request, r -> services.files().lookup(connection, r.getFileLookup()));
            case DOWNLOAD -> authenticated(connection, request, r -> services.files().download(connection, r.getDownload()));
            case BODY_NOT_SET -> connection.send(Envelopes.error(id, ErrorCode.BAD_REQUEST,
                    "empty or unknown request type (is the client newer than this server?)"));
            default -> connection.send(Envelopes.error(id, ErrorCode.BAD_REQUEST,
                    request.getBodyCase().name().toLowerCase(java.util.Locale.ROOT) + " is not a request a client may send"));
        }
    }

    /** The connection closed: its session (if any) ends. Called on the transport's thread; never blocks. */
    public void closed(Connection connection) {
        scheduler.forget(connection.state());
        inflight.forget(connection);
        connection.state().loggedIn().ifPresent(user -> services.presence().loggedOut(connection, user));
    }

    private CompletableFuture<Envelope.Builder> startsSession(Connection connection, CompletableFuture<Envelope.Builder> login) {
        return login.thenApply(response -> {
            services.presence().loggedIn(connection);
            return response;
        });
    }

    private void hello(Connection connection, long id, Hello hello) {
        if (!ProtocolVersion.isSupported(hello.getProtocolVersion())) {
            connection.close(Envelopes.error(id, ErrorCode.UNSUPPORTED_VERSION, "this server speaks protocol version "
                    + ProtocolVersion.CURRENT + ", the client " + hello.getProtocolVersion()));
            return;
        }
        Cluster shared = cluster;
        if (shared == null || hello.getRedirected()) {
            welcome(connection, id);
            return;
        }
        executor.execute(() -> { // the policy may ask the cluster (round-robin's shared counter)
            Optional<NodeInfo> target = shared.redirectTarget();
            if (target.isPresent()) {
                log.debug("{} redirected to node {} ({})", connection.id(), target.get().getNodeId(), balance);
                connection.close(Envelope.newBuilder().setRequestId(id).setRedirect(Redirect.newBuilder()
                        .setAddress(target.get().getAddress()).setNodeId(target.get().getNodeId()).setReason(balance)).build());
            } else {
                welcome(connection, id);
            }
        });
    }

    private void welcome(Connection connection, long id) {
        connection.state().markGreeted();
        connection.send(Envelope.newBuilder().setRequestId(id).setWelcome(welcome).build());
    }

    private volatile ServerMetrics metrics;

    /** Counts error answers by code. */
    public void useMetrics(ServerMetrics serverMetrics) {
        this.metrics = serverMetrics;
    }

    /** Balances new clients across the cluster (from now on). */
    public void useCluster(Cluster shared, String policy) {
        this.balance = policy;
        this.cluster = shared;
    }

    private void greeted(Connection connection, Envelope request, Function<Envelope, CompletableFuture<Envelope.Builder>> handler) {
        if (!connection.state().greeted()) {
            connection.send(Envelopes.error(request.getRequestId(), ErrorCode.BAD_REQUEST, "send Hello first"));
            return;
        }
        run(connection, request, handler);
    }

    private void authenticated(Connection connection, Envelope request, Function<Envelope, CompletableFuture<Envelope.Builder>> handler) {
        if (!connection.state().greeted()) {
            connection.send(Envelopes.error(request.getRequestId(), ErrorCode.BAD_REQUEST, "send Hello first"));
        } else if (connection.state().loggedIn().isEmpty()) {
            connection.send(Envelopes.error(request.getRequestId(), ErrorCode.UNAUTHENTICATED, "log in first"));
        } else {
            run(connection, request, handler);
        }
    }

    /**
     * Requests whose handlers check what they are given and queue a write, never waiting on anything: they start where
     * their turn comes ({@link FairScheduler.Task#inline}), which saves a thread hand-off per message. So a sender chain's
     * announcement and the message a client sends right behind it on the same connection are queued to the writer in
     * the order they came (the scheduler starts a connection's inline requests one after the other), and the message
     * finds its chain stored.
     */
    private static final Set<Envelope.BodyCase> HANDED_ON = EnumSet.of(
            Envelope.BodyCase.SEND, Envelope.BodyCase.ANNOUNCE_CHAIN, Envelope.BodyCase.SEND_RECEIPT, Envelope.BodyCase.MARK_READ);

    private void run(Connection connection, Envelope request, Function<Envelope, CompletableFuture<Envelope.Builder>> handler) {
        long id = request.getRequestId();
        ConnectionState state = connection.state();
        if (state.startRequest()) {
            connection.acceptedRequestsChanged(); // as many as it may have: its next requests wait in its socket
        }
        long bytes = request.getSerializedSize();
        inflight.started(connection, bytes);
        boolean handsOn = HANDED_ON.contains(request.getBodyCase());
        scheduler.submit(state, new FairScheduler.Task() {
            @Override
            public boolean inline() {
                return handsOn;
            }

            @Override
            public CompletableFuture<?> get() {
                CompletableFuture<Envelope.Builder> result;
                try {
                    result = handler.apply(request);
                } catch (RuntimeException e) {
                    result = CompletableFuture.failedFuture(e);
                }
                return result.whenComplete((response, failure) -> {
                    finish(connection);
                    Envelope answer = failure == null ? response.setRequestId(id).build() : toError(connection, request, failure);
                    ServerMetrics counted = metrics;
                    if (counted != null && answer.hasError()) {
                        counted.error(answer.getError().getCode());
                    }
                    connection.send(answer);
                    inflight.finished(bytes);
                });
            }

            @Override
            public void rejected() {
                finish(connection);
                inflight.finished(bytes);
                connection.send(Envelopes.error(id, ErrorCode.UNAVAILABLE, "the server is shutting down"));
            }
        });
    }

    private static void finish(Connection connection) {
        if (connection.state().finishRequest()) {
            connection.acceptedRequestsChanged();
        }
    }

    private static Envelope toError(Connection connection, Envelope request, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        long id = request.getRequestId();
        return switch (cause) {
            case RequestRefusedException refused -> {
                log.debug("{} {} refused: {}", connection.id(), request.getBodyCase(), refused.code());
                Envelope error = Envelopes.error(id, refused.code(), refused.getMessage());
                yield refused.retryAfter().isZero() ? error : error.toBuilder().setError(error.getError().toBuilder()
                        .setRetryAfterMs(Math.max(1, (refused.retryAfter().toNanos() + 999_999) / 1_000_000))).build(); // rounded up
            }
            case ConversationRefusedException rule -> {
                log.debug("{} {} refused: {}", connection.id(), request.getBodyCase(), rule.reason());
                yield Envelopes.error(id, switch (rule.reason()) {
                    case NOT_A_MEMBER -> ErrorCode.NOT_A_MEMBER;
                    case NOT_ADMIN -> ErrorCode.NOT_ADMIN;
                    case MEMBERS_CHANGED -> ErrorCode.MEMBERS_CHANGED;
                    case MESSAGE_ID_REUSED -> ErrorCode.BAD_REQUEST;
                    case UNKNOWN_USER -> ErrorCode.UNKNOWN_USER;
                    case UNKNOWN_GROUP -> ErrorCode.UNKNOWN_CONVERSATION;
                    case GROUP_FULL, TOO_LARGE -> ErrorCode.TOO_LARGE;
                    case UNKNOWN_FILE -> ErrorCode.UNKNOWN_FILE;
                    case OUT_OF_ORDER -> ErrorCode.BAD_REQUEST;
                    case QUOTA_EXCEEDED -> ErrorCode.QUOTA_EXCEEDED;
                    case BLOCKED -> ErrorCode.BLOCKED;
                    case NOT_INVITED -> ErrorCode.NOT_A_MEMBER;
                    case CHAIN_CONFLICT -> ErrorCode.MEMBERS_CHANGED;
                    case LAST_ADMIN -> ErrorCode.BAD_REQUEST;
                    case NOT_AUTHOR -> ErrorCode.NOT_AUTHOR;
                }, rule.getMessage());
            }
            case NameTakenException taken -> Envelopes.error(id, ErrorCode.ACCOUNT_EXISTS, "the name '" + taken.name() + "' is taken");
            case StorageException storage -> {
                log.warn("{} {} failed: database unavailable: {}", connection.id(), request.getBodyCase(), storage.getMessage());
                yield Envelopes.error(id, ErrorCode.UNAVAILABLE, "the database is unavailable; nothing was saved, try again");
            }
            default -> {
                log.error("{} {} failed with an unexpected error", connection.id(), request.getBodyCase(), cause);
                yield Envelopes.error(id, ErrorCode.INTERNAL, "internal server error");
            }
        };
    }
}
