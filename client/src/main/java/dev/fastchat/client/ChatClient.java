package dev.fastchat.client;

import com.google.protobuf.ByteString;
import dev.fastchat.client.internal.ClientConnection;
import dev.fastchat.client.internal.Dialer;
import dev.fastchat.client.internal.Failures;
import dev.fastchat.client.internal.KnownServers;
import dev.fastchat.client.internal.LocalKeyStore;
import dev.fastchat.client.internal.Messenger;
import dev.fastchat.client.internal.SerialExecutor;
import dev.fastchat.crypto.CryptoException;
import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.crypto.KdfParams;
import dev.fastchat.crypto.KeyBackup;
import dev.fastchat.crypto.PasswordKeys;
import dev.fastchat.protocol.ConversationId;
import dev.fastchat.protocol.Names;
import dev.fastchat.protocol.v1.ConversationKind;
import dev.fastchat.protocol.v1.Cursor;
import dev.fastchat.protocol.v1.DirectoryKind;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.GetKdfParams;
import dev.fastchat.protocol.v1.GetUnread;
import dev.fastchat.protocol.v1.History;
import dev.fastchat.protocol.v1.HistoryPage;
import dev.fastchat.protocol.v1.IdentityKeys;
import dev.fastchat.protocol.v1.ListDirectory;
import dev.fastchat.protocol.v1.Login;
import dev.fastchat.protocol.v1.Logout;
import dev.fastchat.protocol.v1.MarkRead;
import dev.fastchat.protocol.v1.Register;
import dev.fastchat.protocol.v1.Resume;
import dev.fastchat.protocol.v1.Session;
import dev.fastchat.protocol.v1.Sync;
import dev.fastchat.protocol.v1.SyncBatch;
import dev.fastchat.protocol.v1.Welcome;
import dev.fastchat.protocol.v1.WhoIsOnline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * A connection to a FastChat server on behalf of one user.
 *
 * <p>Typical use:
 * <pre>{@code
 * try (ChatClient client = ChatClient.builder().server("127.0.0.1", 7420).build()) {
 *     client.connect().join();
 *     SessionInfo session = client.login("alice", password).join();
 * }
 * }</pre>
 *
 * <p>Every operation is asynchronous: it returns a {@link CompletableFuture} that completes with the result,
 * or exceptionally with a {@link ChatException} whose {@link ChatException#code() code} says why. The
 * password never leaves this process: it is stretched with Argon2id (on a virtual thread, never on the I/O
 * thread) into an auth key for the server and a backup key that seals the user's identity keys. Identity
 * keys are kept in a local key store and restored from the server's sealed backup on a new machine.
 *
 * <p>Thread-safe. Close it to release the connection (and the I/O threads, unless they were given to the
 * builder).
 */
public final class ChatClient implements AutoCloseable {
    private static final Executor KDF_EXECUTOR = command -> Thread.ofVirtual().name("fastchat-kdf").start(command);

    private final Dialer dialer;
    /** Whether the current connection carries the logged-in session (false from a disconnect to the resume). */
    private volatile boolean sessionLive;
    /**
     * With auto-reconnect: completes when the session is live again after a lost connection. Requests of the
     * session made meanwhile wait for it (at most {@link #SESSION_WAIT}), then go out on the resumed connection.
     */
    private volatile CompletableFuture<Void> sessionBack = CompletableFuture.completedFuture(null);
    private static final Duration SESSION_WAIT = Duration.ofSeconds(60);
    private final Optional<SslContext> tls;
    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final LocalKeyStore keyStore;
    private final KdfParams registrationKdf;
    private final int chainRotationMessages;
    private final boolean readReceipts;
    private final boolean sendsReceipts;
    private final PushSampler pushSampler;
    private final int rememberedMessages;
    private final Duration chainRotationAge;
    private final KdfParams kdfFloor;
    private final Duration requestTimeout;
    private final String clientName;
    private final ChatListener listener;
    private final boolean autoReconnect;
    private final boolean keepSession;
    final SecureRandom random = new SecureRandom();
    private final Contacts contacts = new Contacts(this::loggedInRequest);
    private final Messages messages = new Messages(this::work);
    private final Receipts receipts = new Receipts(this::work);
    private final Groups groups = new Groups(this);
    private final Files files = new Files(this);
    private final Keys keys = new Keys(this);
    private final Invitations invitations = new Invitations(this::loggedInRequest,
            (group, accept) -> work(m -> m.groups().answer(group, accept)));

    private volatile ClientConnection connection;
    private volatile ServerInfo serverInfo;
    private volatile SessionInfo session;
    private volatile IdentityKeyPair identity;
    private volatile Messenger messenger;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    /** Delivers listener events one at a time, off the network thread. */
    private final SerialExecutor events = new SerialExecutor(command -> Thread.ofVirtual().name("fastchat-events").start(command));
    private static final Executor WORK = command -> Thread.ofVirtual().name("fastchat-work").start(command);
    private static final Duration RECONNECT_FIRST = Duration.ofMillis(500);
    private static final Duration RECONNECT_MAX = Duration.ofSeconds(30);
    private final java.util.concurrent.atomic.AtomicBoolean reconnecting = new java.util.concurrent.atomic.AtomicBoolean();

    private ChatClient(Builder builder, Optional<SslContext> tls, Optional<KnownServers> pins) {
        this.tls = tls;
        this.ownsGroup = builder.group == null;
        this.group = ownsGroup ? newGroup() : builder.group;
        this.keyStore = new LocalKeyStore(builder.keyStoreDirectory);
        this.registrationKdf = builder.registrationKdf;
        this.chainRotationMessages = builder.chainRotationMessages;
        this.readReceipts = builder.readReceipts;
        this.sendsReceipts = builder.receipts;
        this.pushSampler = builder.pushSampler;
        this.rememberedMessages = builder.rememberedMessages;
        this.chainRotationAge = builder.chainRotationAge;
        this.kdfFloor = builder.kdfFloor != null ? builder.kdfFloor : KdfParams.DEFAULT.lowest(builder.registrationKdf);
        this.requestTimeout = builder.requestTimeout;
        this.clientName = builder.clientName;
        this.dialer = new Dialer(builder.servers, group, tls, pins, requestTimeout, clientName, closed::get);
        this.listener = builder.listener;
        this.autoReconnect = builder.autoReconnect;
        this.keepSession = builder.keepSession;
    }

    /**
     * A builder with the defaults: 127.0.0.1:7420, TLS with the server's certificate pinned on first use, keys
     * under {@code ~/.config/fastchat/keys}.
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Connects and performs the handshake.
     *
     * @return what the server said about itself; fails with {@code UNAVAILABLE} if it cannot be reached or
     *     its TLS certificate is not trusted, {@code UNSUPPORTED_VERSION} if it speaks another protocol
     */
    public CompletableFuture<ServerInfo> connect() {
        return dialer.dial(this::lost, push -> {
            Messenger current = messenger;
            if (current != null) {
                current.onPush(push);
            }
        }).thenApply(dialed -> {
            connection = dialed.connection();
            Welcome welcome = dialed.welcome();
            var certificate = dialed.connection().certificate();
            serverInfo = new ServerInfo(welcome.getServerVersion(), welcome.getNodeId(), welcome.getServerId(),
                    welcome.getLimits().getMaxFrameBytes(), Duration.ofSeconds(welcome.getLimits().getIdleTimeoutSeconds()),
                    welcome.getLimits().getMaxInflightRequests(), certificate.map(ClientConnection.PeerCertificate::fingerprint).orElse(""),
                    certificate.map(ClientConnection.PeerCertificate::pinnedNow).orElse(false));
            return serverInfo;
        });
    }

    /** A connection ended: reported, and repaired with auto-reconnect, unless it was closed on purpose or replaced. */
    private void lost(ClientConnection ended, String reason) {
        if (closed.get() || (ended != null && ended != connection)) {
            return;
        }
        sessionLive = false;
        if (session == null) {
            return; // not logged in (a server closes such connections after a while): log-in dials again
        }
        events.execute(() -> listener.disconnected(reason));
        if (autoReconnect) {
            synchronized (this) {
                if (sessionBack.isDone()) {
                    sessionBack = new CompletableFuture<>(); // requests now wait for the session to be resumed
                }
            }
            Thread.ofVirtual().name("fastchat-reconnect").start(this::reconnectWithBackoff);
        }
    }

    /**
     * Creates an account and logs in. Generates the identity key pairs, seals them with the password's
     * backup key for the server, and saves them in the local key store.
     *
     * @return the new session; fails with {@code INVALID_NAME}, {@code ACCOUNT_EXISTS}, ...
     */
    public CompletableFuture<SessionInfo> register(String username, char[] password) {
        return beforeLogIn(() -> registerNow(username, password));
    }

    private CompletableFuture<SessionInfo> registerNow(String username, char[] password) {
        ServerInfo info = requireConnectedOnce();
        String name = canonical(username);
        if (!registrationKdf.within(kdfFloor, KdfParams.CEILING)) {
            throw ChatException.local(ErrorCode.BAD_REQUEST, "this client registers with " + registrationKdf
                    + ", outside its floor (" + kdfFloor + ") and ceiling (" + KdfParams.CEILING + ")");
        }
        char[] secret = password.clone();
        return CompletableFuture.supplyAsync(() -> {
            try {
                PasswordKeys keys = PasswordKeys.derive(secret, info.serverId(), name, registrationKdf);
                IdentityKeyPair fresh = IdentityKeyPair.generate(random);
                byte[] backup = KeyBackup.seal(fresh, keys.backupKey(), name, random);
                Register request = Register.newBuilder()
                        .setUsername(name)
                        .setAuthKey(ByteString.copyFrom(keys.authKey()))
                        .setKdfParams(toProto(registrationKdf))
                        .setIdentity(IdentityKeys.newBuilder().setKeyId(1)
                                .setX25519Public(ByteString.copyFrom(fresh.publicIdentity().x25519()))
                                .setEd25519Public(ByteString.copyFrom(fresh.publicIdentity().ed25519())))
                        .setKeyBackup(ByteString.copyFrom(backup))
                        .setDevice(clientName)
                        .build();
                keys.destroy();
                return new Pending(request, fresh);
            } finally {
                Arrays.fill(secret, '\0');
            }
        }, KDF_EXECUTOR).thenCompose(pending -> connectedAgain()
                .thenCompose(again -> connection().request(Envelope.newBuilder().setRegister(pending.request)))
                .thenApply(response -> {
                    SessionInfo started = started(response.getSession(), pending.identity);
                    keyStore.rememberKdf(info.serverId(), name, registrationKdf);
                    return started;
                }));
    }

    /**
     * The open connection; or, when the server closed it before a log-in (it gives a connection that long to
     * log in, and a password can take longer to type), a new one to the same servers.
     */
    private CompletableFuture<ServerInfo> connectedAgain() {
        if (isConnected() || session != null) {
            return CompletableFuture.completedFuture(requireConnected());
        }
        return connect();
    }

    /**
     * Logs in with a password. Restores the identity keys from the server's sealed backup when this machine
     * has none (or has other ones), and saves them locally.
     *
     * @return the session; fails with {@code WRONG_CREDENTIALS} or {@code RATE_LIMITED}
     */
    public CompletableFuture<SessionInfo> login(String username, char[] password) {
        return beforeLogIn(() -> loginNow(username, password));
    }

    private CompletableFuture<SessionInfo> loginNow(String username, char[] password) {
        requireConnectedOnce();
        String name = Names.canonical(username).orElse(username);
        char[] secret = password.clone();
        return connectedAgain().thenCompose(info -> passwordKeys(info, name, secret))
                .thenCompose(keys -> connectedAgain().thenCompose(info -> connection().request(Envelope.newBuilder().setLogin(Login.newBuilder()
                                .setUsername(name).setAuthKey(ByteString.copyFrom(keys.authKey())).setDevice(clientName)
                                .setReplacesToken(keptToken(info.serverId(), name).orElse(""))))
                        .thenApply(response -> {
                            Session s = response.getSession();
                            IdentityKeyPair restored = restore(s, keys.backupKey());
                            keys.destroy();
                            SessionInfo started = started(s, restored);
                            keyStore.rememberKdf(info.serverId(), name, keys.params());
                            return started;
                        })))
                .thenCompose(this::withPinsFromOtherDevices)
                .whenComplete((done, failure) -> Arrays.fill(secret, '\0'));
    }

    /**
     * The keys {@code password} gives for the account {@code name}, with the KDF parameters the server keeps for
     * it, derived on a virtual thread (never the I/O thread). Parameters other than this device used for the
     * account before, or (on a device new to the account) outside this client's floor and ceiling, are
     * refused: a server that lowers them makes the password faster to guess from the auth key it receives.
     */
    private CompletableFuture<DerivedKeys> passwordKeys(ServerInfo info, String name, char[] password) {
        char[] secret = password.clone();
        return connection().request(Envelope.newBuilder().setGetKdfParams(GetKdfParams.newBuilder().setUsername(name)))
                .thenApplyAsync(response -> {
                    try {
                        KdfParams offered = offeredKdf(info, name, response.getKdfParams());
                        return new DerivedKeys(PasswordKeys.derive(secret, info.serverId(), name, offered), offered);
                    } finally {
                        Arrays.fill(secret, '\0');
                    }
                }, KDF_EXECUTOR);
    }

    /** The password keys of a log-in and the parameters they were derived with. */
    private record DerivedKeys(PasswordKeys keys, KdfParams params) {
        byte[] authKey() {
            return keys.authKey();
        }

        byte[] backupKey() {
            return keys.backupKey();
        }

        void destroy() {
            keys.destroy();
        }
    }

    /** The server's parameters for {@code name}, if this client accepts them. */
    private KdfParams offeredKdf(ServerInfo info, String name, dev.fastchat.protocol.v1.KdfParams p) {
        KdfParams offered;
        try {
            offered = new KdfParams(p.getMemoryKib(), p.getIterations(), p.getParallelism());
        } catch (IllegalArgumentException e) {
            throw new ChatException(ErrorCode.UNTRUSTED_SERVER, "the server asked for unusable password hash parameters: " + e.getMessage());
        }
        Optional<KdfParams> remembered = keyStore.rememberedKdf(info.serverId(), name);
        if (remembered.isPresent() && !remembered.get().equals(offered)) {
            throw new ChatException(ErrorCode.UNTRUSTED_SERVER, "the server now asks to hash the password of " + name + " with "
                    + offered + ", but this device logged in with " + remembered.get() + " before; a server that changes them"
                    + " may be trying to weaken the password: not logging in (if the account's parameters really changed,"
                    + " delete " + keyStore.kdfFile(info.serverId(), name) + ")");
        }
        if (remembered.isEmpty() && !offered.within(kdfFloor, KdfParams.CEILING)) {
            throw new ChatException(ErrorCode.UNTRUSTED_SERVER, "the server asks to hash the password of " + name + " with " + offered
                    + ", outside this client's floor (" + kdfFloor + ") and ceiling (" + KdfParams.CEILING
                    + "); a server that lowers the cost makes the password faster to guess: not logging in");
        }
        return offered;
    }

    /**
     * Logs in again with a resume token from an earlier {@link SessionInfo}, without the password. The
     * identity keys must already be in the local key store.
     *
     * @return the session; fails with {@code UNAUTHENTICATED} if the token is unknown or expired
     */
    public CompletableFuture<SessionInfo> resume(String resumeToken) {
        return guard(() -> connection().request(Envelope.newBuilder().setResume(Resume.newBuilder().setToken(resumeToken)))
                .thenApply(response -> {
                    Session s = response.getSession();
                    IdentityKeyPair local = keyStore.load(serverInfo.serverId(), s.getUsername())
                            .orElseThrow(() -> new ChatException(ErrorCode.UNAUTHENTICATED,
                                    "no identity keys for " + s.getUsername() + " on this machine: log in with the password"));
                    return started(s, local);
                }).thenCompose(this::withPinsFromOtherDevices));
    }

    /**
     * Completes with {@code started} once the pins this user's other devices stored (the sealed trust state)
     * are merged into this device's: before anything is trusted on first use in the new session.
     */
    private CompletableFuture<SessionInfo> withPinsFromOtherDevices(SessionInfo started) {
        Messenger current = messenger;
        return CompletableFuture.supplyAsync(() -> {
            current.pullTrust();
            return started;
        }, WORK);
    }

    /**
     * With {@link Builder#keepSession(boolean)}: logs in with the session this device kept for
     * {@code username} from an earlier log-in, without the password (the identity keys must be in the local
     * key store, as they are after that log-in).
     *
     * @return the session, or empty when this device keeps none for the user, it expired, or the server no
     *     longer knows it (ended elsewhere, or the server's data was reset); the stale one is then forgotten
     */
    public CompletableFuture<Optional<SessionInfo>> resumeKept(String username) {
        return guard(() -> {
            ServerInfo info = requireConnected();
            String name = canonical(username);
            Optional<String> token = keptToken(info.serverId(), name);
            if (token.isEmpty() || keyStore.load(info.serverId(), name).isEmpty()) {
                return CompletableFuture.completedFuture(Optional.<SessionInfo>empty());
            }
            return resume(token.get()).thenApply(Optional::of).exceptionallyCompose(failure -> {
                Throwable cause = Failures.cause(failure);
                if (cause instanceof ChatException refused && refused.code() == ErrorCode.UNAUTHENTICATED) {
                    keyStore.deleteSession(info.serverId(), name);
                    return CompletableFuture.completedFuture(Optional.empty());
                }
                return CompletableFuture.failedFuture(cause);
            });
        });
    }

    private Optional<String> keptToken(String serverId, String name) {
        return keepSession ? keyStore.loadSession(serverId, name, Instant.now()) : Optional.empty();
    }

    /**
     * Connects again and resumes the current session with its resume token, keeping this client's pinned
     * keys and what it has seen; then fetches what arrived meanwhile and reports it to the listener as
     * {@link ChatListener#message} events. With {@link Builder#autoReconnect(boolean)} this happens by itself.
     *
     * @return the resumed session; fails with {@code UNAVAILABLE} if the server cannot be reached, and with
     *     {@code UNAUTHENTICATED} if the session expired (log in again)
     */
    public CompletableFuture<SessionInfo> reconnect() {
        SessionInfo current = session;
        Messenger kept = messenger;
        if (current == null || kept == null) {
            return CompletableFuture.failedFuture(new ChatException(ErrorCode.UNAUTHENTICATED, "log in first"));
        }
        ClientConnection old = connection;
        return connect()
                .thenCompose(info -> {
                    if (old != null) {
                        old.close(); // replaced: its end is not reported
                    }
                    kept.forgetServedKeys(); // keys may have changed while this client was away
                    return connection().request(Envelope.newBuilder().setResume(Resume.newBuilder().setToken(current.resumeToken())));
                })
                .thenApply(response -> {
                    Session s = response.getSession();
                    if (s.getAccountId() != current.accountId()) {
                        throw new ChatException(ErrorCode.INTERNAL, "the server resumed another account");
                    }
                    session = new SessionInfo(s.getAccountId(), s.getUsername(), s.getToken(), Instant.ofEpochMilli(s.getExpiresAtMs()));
                    sessionLive = true;
                    sessionBack.complete(null);
                    return session;
                })
                .thenCompose(resumed -> {
                    // On the event thread, so that pushes arriving on the new connection meanwhile are
                    // reported after what was missed, in seq order.
                    CompletableFuture<SessionInfo> caughtUp = new CompletableFuture<>();
                    events.execute(() -> {
                        try {
                            listener.reconnected();
                            syncNow(kept).forEach(listener::message);
                            caughtUp.complete(resumed);
                        } catch (RuntimeException e) {
                            caughtUp.completeExceptionally(e);
                        }
                    });
                    return caughtUp;
                });
    }

    /** Tries {@link #reconnect()} until it works, the session is gone, or the client is closed. */
    private void reconnectWithBackoff() {
        if (!reconnecting.compareAndSet(false, true)) {
            return;
        }
        try {
            long delayMillis = RECONNECT_FIRST.toMillis();
            String lastError = "";
            for (int attempt = 1; !closed.get() && session != null; attempt++) {
                // Full jitter: clients of a node that went away do not all come back at the same instant.
                Duration wait = Duration.ofMillis(delayMillis / 2 + random.nextLong(delayMillis / 2 + 1));
                int current = attempt;
                String previous = lastError;
                events.execute(() -> listener.reconnecting(current, wait, previous));
                Thread.sleep(wait);
                if (closed.get()) {
                    return;
                }
                try {
                    reconnect().get(requestTimeout.toMillis() * 3, TimeUnit.MILLISECONDS);
                    return;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof ChatException refused && refused.code() == ErrorCode.UNAUTHENTICATED) {
                        forgetKeptSession();
                        session = null;
                        endMessenger();
                        sessionBack.completeExceptionally(refused);
                        events.execute(() -> listener.sessionEnded(refused.getMessage()));
                        return;
                    }
                    lastError = e.getCause().getMessage();
                } catch (TimeoutException e) {
                    lastError = "no answer from the server";
                }
                delayMillis = Math.min(delayMillis * 2, RECONNECT_MAX.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            reconnecting.set(false);
        }
        // A connection lost again while this loop was finishing was not followed up (the loop was still
        // running then): start over.
        if (!closed.get() && session != null && !isSessionLive() && !Thread.currentThread().isInterrupted()) {
            Thread.ofVirtual().name("fastchat-reconnect").start(this::reconnectWithBackoff);
        }
    }

    /** Ends the session on the server and invalidates its resume token (and forgets it if it was kept). */
    public CompletableFuture<Void> logout() {
        return logout(false);
    }

    /**
     * Ends the session on the server, or with {@code everywhere} every session of the account (other
     * devices must then log in with the password again), and forgets the kept one.
     */
    public CompletableFuture<Void> logout(boolean everywhere) {
        return guard(() -> flushPins().thenCompose(flushed -> sessionRequest(Envelope.newBuilder().setLogout(Logout.newBuilder().setEverywhere(everywhere)))
                .thenAccept(response -> {
                    forgetKeptSession();
                    session = null;
                    endMessenger();
                })));
    }

    /**
     * Sends a request of the logged-in session. While an auto-reconnect is on its way, it waits until the
     * session is resumed (never reaching a new connection before its log-in), for at most a minute.
     */
    CompletableFuture<Envelope> sessionRequest(Envelope.Builder request) {
        CompletableFuture<Void> back = sessionBack;
        if (back.isDone() || !autoReconnect || session == null || closed.get()) {
            return guard(() -> connection().request(request));
        }
        return back.copy().orTimeout(SESSION_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                .handle((resumed, failure) -> failure == null ? guard(() -> connection().request(request))
                        : CompletableFuture.<Envelope>failedFuture(failure instanceof TimeoutException
                                ? new ChatException(ErrorCode.UNAVAILABLE, "not connected again within " + SESSION_WAIT.toSeconds() + " s")
                                : Failures.cause(failure)))
                .thenCompose(sent -> sent);
    }

    /** Forgets the session's messenger, releasing what it holds open. */
    private void endMessenger() {
        Messenger ending = messenger;
        messenger = null;
        if (ending != null) {
            ending.close();
        }
    }

    /** Waits (on a virtual thread, at most 5 s) until this device's pins are stored on the server. */
    private CompletableFuture<Void> flushPins() {
        Messenger current = messenger;
        if (current == null || !isConnected()) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.runAsync(() -> current.flushTrust(Duration.ofSeconds(5)), WORK);
    }

    /** Blocking and unblocking other users. */
    public Contacts contacts() {
        return contacts;
    }

    /** Replies, edits, reactions and deletion for everyone; typing notices. */
    public Messages messages() {
        return messages;
    }

    /** Delivered and read receipts: the status of what this user sent, and whether read receipts go out. */
    public Receipts receipts() {
        return receipts;
    }

    /** Groups: this user's, their members, and the changes a member makes (each signed). */
    public Groups groups() {
        return groups;
    }

    /** Files: sending them encrypted, and fetching shared ones. */
    public Files files() {
        return files;
    }

    /** Keys: safety numbers, verification, accepting a contact's new key, replacing this user's own. */
    public Keys keys() {
        return keys;
    }

    /** This user's invitations to groups: list, accept, decline. */
    public Invitations invitations() {
        return invitations;
    }

    /** Sends a request of a logged-in user and waits for its answer (off the caller's thread). */
    private CompletableFuture<Envelope> loggedInRequest(Envelope.Builder request) {
        return work(m -> Messenger.await(sessionRequest(request)));
    }

    /** The user's sessions (devices) that have not expired, this one marked {@link DeviceSession#current()}. */
    public CompletableFuture<List<DeviceSession>> sessions() {
        return work(m -> Messenger.await(sessionRequest(Envelope.newBuilder().setListSessions(
                        dev.fastchat.protocol.v1.ListSessions.getDefaultInstance()))).getSessionList().getSessionsList().stream()
                .map(s -> new DeviceSession(s.getId(), s.getDevice(), Instant.ofEpochMilli(s.getCreatedAtMs()),
                        Instant.ofEpochMilli(s.getLastSeenMs()), s.getAddress(), Instant.ofEpochMilli(s.getExpiresAtMs()), s.getCurrent()))
                .toList());
    }

    /**
     * Ends one of the user's sessions (a lost phone, say): its token stops working and its live connections are
     * closed at once. Fails with {@code BAD_REQUEST} when the user has no session with that id.
     */
    public CompletableFuture<Void> endSession(String id) {
        return work(m -> {
            Messenger.await(sessionRequest(Envelope.newBuilder().setEndSession(
                    dev.fastchat.protocol.v1.EndSession.newBuilder().setId(id))));
            return null;
        });
    }

    private void forgetKeptSession() {
        SessionInfo current = session;
        ServerInfo info = serverInfo;
        if (keepSession && current != null && info != null) {
            keyStore.deleteSession(info.serverId(), current.username());
        }
    }

    // ---- messages

    /**
     * Sends a text message, sealed end to end for the user (and this user's other devices) or for every
     * member of the group. Completes when the server has stored it durably.
     *
     * @return the acknowledgement; fails with {@code TOO_LARGE} (over 64 KiB), {@code UNKNOWN_USER},
     *     {@code UNKNOWN_CONVERSATION}, {@code NOT_A_MEMBER}, {@code UNTRUSTED_KEY} (a recipient's key changed
     *     since it was pinned), {@code RATE_LIMITED}, {@code UNAVAILABLE}
     */
    public CompletableFuture<SentMessage> send(Target to, String text) {
        return work(m -> m.send(to, text));
    }

    /**
     * Seals a text message now, to send later with {@link #sendPrepared}: the expensive part of sending
     * (one HPKE encapsulation per recipient and a signature) done ahead, for outboxes and load tests.
     */
    public CompletableFuture<PreparedMessage> prepare(Target to, String text) {
        return work(m -> m.prepare(to, text));
    }

    /**
     * Sends a prepared message. Completes when the server has stored it; fails as {@link #send} does, and
     * with {@code MEMBERS_CHANGED} when the group's members changed since it was prepared.
     */
    public CompletableFuture<SentMessage> sendPrepared(PreparedMessage message) {
        return withMessenger(m -> m.sendPreparedAsync(message, WORK)); // no thread waits for the ack while connected
    }

    /**
     * A page of a conversation's history, newest first: messages before {@code beforeSeq} (0: the newest),
     * at most {@code limit} (up to 200). Messages that do not verify are left out and reported to
     * {@link ChatListener#rejected}.
     */
    public CompletableFuture<List<ChatMessage>> history(Target conversation, long beforeSeq, int limit) {
        return work(m -> {
            String id = conversationId(m, conversation);
            HistoryPage page = Messenger.await(sessionRequest(Envelope.newBuilder().setHistory(History.newBuilder()
                    .setConversationId(id).setBeforeSeq(beforeSeq).setLimit(limit)))).getHistoryPage();
            return m.openAll(page.getMessagesList(), false);
        });
    }

    /** Unread counts of every conversation, direct messages and groups apart. */
    public CompletableFuture<UnreadSummary> unread() {
        return work(m -> {
            var summary = Messenger.await(sessionRequest(Envelope.newBuilder().setGetUnread(GetUnread.getDefaultInstance())))
                    .getUnreadSummary();
            List<ConversationUnread> conversations = summary.getConversationsList().stream()
                    .map(c -> new ConversationUnread(c.getConversationId(),
                            c.getKind() == ConversationKind.GROUP ? Target.group(c.getName()) : Target.user(c.getName()),
                            c.getLastSeq(), c.getReadSeq(), c.getUnread()))
                    .toList();
            return new UnreadSummary(conversations, summary.getDirectUnread(), summary.getGroupUnread());
        });
    }

    /**
     * Fetches every message this client has not seen: after the newest it has seen in each conversation, and
     * after the read cursor in the others (so on a fresh log-in: the unread messages). Oldest first per
     * conversation; however many there are. The messages are returned, not passed to the listener.
     */
    public CompletableFuture<List<ChatMessage>> sync() {
        return work(this::syncNow);
    }

    private Messenger.Backfill backfill(Messenger m) {
        return new Messenger.Backfill() {
            @Override
            public List<ChatMessage> all() {
                return syncNow(m);
            }

            @Override
            public List<ChatMessage> conversation(String conversationId, boolean fromReadCursor) {
                return syncNow(m, conversationId, fromReadCursor ? null : m.cursors().get(conversationId));
            }
        };
    }

    /**
     * Fetches what {@code m} has not seen in one conversation, after {@code after} (after the read cursor if null),
     * batch after batch (blocking).
     */
    private List<ChatMessage> syncNow(Messenger m, String conversationId, Long after) {
        List<ChatMessage> all = new ArrayList<>();
        Long cursor = after;
        while (true) {
            Sync.Builder request = Sync.newBuilder().addOnlyConversationIds(conversationId);
            if (cursor != null) {
                request.addCursors(Cursor.newBuilder().setConversationId(conversationId).setSeq(cursor));
            }
            SyncBatch batch = Messenger.await(sessionRequest(Envelope.newBuilder().setSync(request))).getSyncBatch();
            all.addAll(m.openAll(batch.getMessagesList(), true));
            if (!batch.getMore() || batch.getMessagesCount() == 0) {
                return all;
            }
            cursor = batch.getMessages(batch.getMessagesCount() - 1).getSeq();
        }
    }

    /** Fetches what {@code m} has not seen, batch after batch (blocking). */
    private List<ChatMessage> syncNow(Messenger m) {
        List<ChatMessage> all = new ArrayList<>();
        while (true) {
            Sync.Builder request = Sync.newBuilder();
            m.cursors().forEach((id, seq) -> request.addCursors(Cursor.newBuilder().setConversationId(id).setSeq(seq)));
            SyncBatch batch = Messenger.await(sessionRequest(Envelope.newBuilder().setSync(request))).getSyncBatch();
            all.addAll(m.openAll(batch.getMessagesList(), true));
            if (!batch.getMore() || batch.getMessagesCount() == 0) {
                return all;
            }
        }
    }

    /**
     * Marks the conversation read up to {@code seq}, for all of this user's devices, and tells the senders of what was
     * read (read receipts, unless {@link Receipts#sendReadReceipts} turned them off).
     */
    public CompletableFuture<Void> markRead(String conversationId, long seq) {
        return work(m -> {
            Messenger.await(sessionRequest(Envelope.newBuilder().setMarkRead(MarkRead.newBuilder()
                    .setConversationId(conversationId).setSeq(seq))));
            m.readUpTo(conversationId, seq);
            return null;
        });
    }

    // ---- presence and directory

    /** Whether these users are online; with no names, this user's contacts (people they share a conversation with). */
    public CompletableFuture<List<UserPresence>> whoIsOnline(String... users) {
        return work(m -> Messenger.await(sessionRequest(Envelope.newBuilder().setWhoIsOnline(
                        WhoIsOnline.newBuilder().addAllUsernames(List.of(users))))).getPresenceList().getUsersList().stream()
                .map(p -> new UserPresence(p.getAccountId(), p.getUsername(), p.getOnline())).toList());
    }

    /** Registered users and groups in name order after {@code after}; with {@code onlineOnly}, users online now. */
    public CompletableFuture<List<DirectoryEntry>> directory(String after, int limit, boolean onlineOnly) {
        return work(m -> Messenger.await(sessionRequest(Envelope.newBuilder().setListDirectory(ListDirectory.newBuilder()
                        .setAfter(after).setLimit(limit).setOnlineOnly(onlineOnly)))).getDirectory().getEntriesList().stream()
                .map(e -> new DirectoryEntry(e.getName(), e.getKind() == DirectoryKind.GROUP_NAME, e.getOnline())).toList());
    }

    // ---- keys

    /** {@link Keys#replace}: here, for it changes this client's identity and messenger. */
    CompletableFuture<Void> replaceKeys(char[] password) {
        return guard(() -> {
            ServerInfo info = requireConnected();
            String name = session().orElseThrow(() -> new ChatException(ErrorCode.UNAUTHENTICATED, "log in first")).username();
            IdentityKeyPair fresh = IdentityKeyPair.generate(random);
            return passwordKeys(info, name, password).thenCompose(keys -> {
                dev.fastchat.protocol.v1.ReplaceKeys request = dev.fastchat.protocol.v1.ReplaceKeys.newBuilder()
                        .setIdentity(IdentityKeys.newBuilder()
                                .setX25519Public(ByteString.copyFrom(fresh.publicIdentity().x25519()))
                                .setEd25519Public(ByteString.copyFrom(fresh.publicIdentity().ed25519())))
                        .setKeyBackup(ByteString.copyFrom(KeyBackup.seal(fresh, keys.backupKey(), name, random)))
                        .setAuthKey(ByteString.copyFrom(keys.authKey()))
                        .build();
                keys.destroy();
                return sessionRequest(Envelope.newBuilder().setReplaceKeys(request));
            }).thenAccept(response -> {
                keyStore.save(info.serverId(), name, fresh);
                identity = fresh;
                Messenger replaced = messenger.withIdentity(response.getKeyBundle().getUsers(0).getIdentity().getKeyId(), fresh);
                replaced.fillGapsWith(backfill(replaced));
                messenger = replaced;
            });
        });
    }

    private String conversationId(Messenger m, Target conversation) {
        if (!conversation.group()) {
            long peer = m.user(Names.canonical(conversation.name()).orElseThrow(() -> ChatException.local(ErrorCode.INVALID_NAME,
                    "'" + Names.printable(conversation.name()) + "' is not a valid name"))).getAccountId();
            return ConversationId.direct(session().orElseThrow().accountId(), peer).value();
        }
        String name = Names.canonical(conversation.name()).orElse(conversation.name());
        try {
            return m.groups().members(name).getGroup().getConversationId(); // cached while the membership holds
        } catch (ChatException e) {
            if (e.code() != ErrorCode.NOT_A_MEMBER) {
                throw e;
            }
            // A former member still reads what was sent while they belonged: the conversation is among theirs.
            return Messenger.await(sessionRequest(Envelope.newBuilder().setGetUnread(GetUnread.getDefaultInstance())))
                    .getUnreadSummary().getConversationsList().stream()
                    .filter(c -> c.getKind() == ConversationKind.GROUP && c.getName().equals(name))
                    .map(dev.fastchat.protocol.v1.ConversationSummary::getConversationId)
                    .findFirst()
                    .orElseThrow(() -> e);
        }
    }

    /** Runs {@code operation} with the logged-in user's messenger on a virtual thread. */
    <T> CompletableFuture<T> work(java.util.function.Function<Messenger, T> operation) {
        return withMessenger(current -> CompletableFuture.supplyAsync(() -> operation.apply(current), WORK));
    }

    /** Starts {@code operation} with the logged-in user's messenger (on the caller's thread). */
    private <T> CompletableFuture<T> withMessenger(java.util.function.Function<Messenger, CompletableFuture<T>> operation) {
        Messenger current = messenger;
        if (current == null || session == null) {
            return CompletableFuture.failedFuture(new ChatException(ErrorCode.UNAUTHENTICATED, "log in first"));
        }
        return operation.apply(current);
    }

    /**
     * Runs a log-in step; if the server closed the connection while it was on its way (a server closes a
     * connection that has not logged in after a while), runs it once more on a new connection.
     */
    private <T> CompletableFuture<T> beforeLogIn(java.util.function.Supplier<CompletableFuture<T>> operation) {
        return guard(operation).handle((result, failure) -> {
            if (failure == null) {
                return CompletableFuture.completedFuture(result);
            }
            Throwable cause = Failures.cause(failure);
            if (cause instanceof ChatException e && e.code() == ErrorCode.UNAVAILABLE && session == null && !isConnected()
                    && serverInfo != null && !closed.get()) {
                return guard(operation);
            }
            return CompletableFuture.<T>failedFuture(cause);
        }).thenCompose(next -> next);
    }

    /** Runs {@code operation}, turning a synchronous failure into a failed future. */
    private static <T> CompletableFuture<T> guard(java.util.function.Supplier<CompletableFuture<T>> operation) {
        try {
            return operation.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The current session, if logged in. */
    public Optional<SessionInfo> session() {
        return Optional.ofNullable(session);
    }

    /** This user's identity keys, once logged in. */
    public Optional<IdentityKeyPair> identity() {
        return Optional.ofNullable(identity);
    }

    /** What the server said at the handshake, once connected. */
    public Optional<ServerInfo> serverInfo() {
        return Optional.ofNullable(serverInfo);
    }

    /** Whether the connection is open. */
    public boolean isConnected() {
        ClientConnection current = connection;
        return current != null && current.isOpen();
    }

    /** Connected, and the session is (again) logged in on this connection. */
    boolean isSessionLive() {
        return sessionLive && isConnected();
    }

    /** Where this client keeps the keys of {@code username} on this machine (once connected). */
    public Path keyStoreFile(String username) {
        return keyStore.file(requireConnected().serverId(), username);
    }

    /** Closes the connection (without logging out: the resume token stays valid). Calling it again does nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        sessionBack.completeExceptionally(new ChatException(ErrorCode.UNAVAILABLE, "the client was closed"));
        flushPins().join();
        Messenger last = messenger;
        if (last != null) {
            last.close();
        }
        ClientConnection current = connection;
        if (current != null) {
            current.close().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
        if (ownsGroup) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private record Pending(Register request, IdentityKeyPair identity) {}

    private SessionInfo started(Session s, IdentityKeyPair keys) {
        if (!Arrays.equals(keys.publicIdentity().x25519(), s.getIdentity().getX25519Public().toByteArray())
                || !Arrays.equals(keys.publicIdentity().ed25519(), s.getIdentity().getEd25519Public().toByteArray())) {
            throw new ChatException(ErrorCode.INTERNAL, "the server's public keys for " + s.getUsername()
                    + " do not match this account's private keys");
        }
        keyStore.save(serverInfo.serverId(), s.getUsername(), keys);
        identity = keys;
        messenger = new Messenger(request -> sessionRequest(request), s.getAccountId(), s.getUsername(),
                s.getIdentity().getKeyId(), keys, serverInfo.serverId(), keyStore, random, Clock.systemUTC(), listener, events,
                rememberedMessages);
        messenger.rotateChains(chainRotationMessages, chainRotationAge);
        messenger.sendReadReceipts(readReceipts);
        messenger.sendReceipts(sendsReceipts);
        messenger.pushSampler(pushSampler);
        sessionLive = true;
        sessionBack.complete(null);
        if (autoReconnect) {
            messenger.retryAfterReconnect(this::isSessionLive);
        }
        Messenger current = messenger;
        current.fillGapsWith(backfill(current));
        session = new SessionInfo(s.getAccountId(), s.getUsername(), s.getToken(), Instant.ofEpochMilli(s.getExpiresAtMs()));
        if (keepSession) {
            keyStore.saveSession(serverInfo.serverId(), s.getUsername(), s.getToken(), session.expiresAt());
        }
        return session;
    }

    private IdentityKeyPair restore(Session s, byte[] backupKey) {
        try {
            return KeyBackup.open(s.getKeyBackup().toByteArray(), backupKey, s.getUsername());
        } catch (CryptoException e) {
            throw new ChatException(ErrorCode.INTERNAL, "the key backup on the server does not open: " + e.getMessage(), e);
        }
    }

    private ServerInfo requireConnected() {
        ServerInfo info = serverInfo;
        if (info == null || !isConnected()) {
            throw new ChatException(ErrorCode.UNAVAILABLE, "not connected: call connect() first");
        }
        return info;
    }

    /** What the server said at the handshake; fails if this client never connected. */
    private ServerInfo requireConnectedOnce() {
        ServerInfo info = serverInfo;
        if (info == null) {
            throw new ChatException(ErrorCode.UNAVAILABLE, "not connected: call connect() first");
        }
        return info;
    }

    private ClientConnection connection() {
        ClientConnection current = connection;
        if (current == null) {
            throw new ChatException(ErrorCode.UNAVAILABLE, "not connected: call connect() first");
        }
        return current;
    }

    private static String canonical(String username) {
        return Names.canonical(username).orElseThrow(() -> ChatException.local(ErrorCode.INVALID_NAME,
                "'" + username + "' is not a valid name: " + Names.rule()));
    }

    private static dev.fastchat.protocol.v1.KdfParams toProto(KdfParams params) {
        return dev.fastchat.protocol.v1.KdfParams.newBuilder().setAlgorithm("argon2id").setMemoryKib(params.memoryKib())
                .setIterations(params.iterations()).setParallelism(params.parallelism()).build();
    }

    private static EventLoopGroup newGroup() {
        return new MultiThreadIoEventLoopGroup(1, Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

    /** Configures a {@link ChatClient}. */
    public static final class Builder {
        private final List<Endpoint> servers = new ArrayList<>(List.of(new Endpoint("127.0.0.1", 7420)));
        private boolean defaultServer = true;
        private boolean tls;
        private boolean insecurePlaintext;
        private Path knownServers;
        private Path serverCertificate;
        private EventLoopGroup group;
        private Path keyStoreDirectory = LocalKeyStore.defaultDirectory();
        private KdfParams registrationKdf = KdfParams.DEFAULT;
        private int chainRotationMessages = 1_000;
        private boolean readReceipts = true;
        private boolean receipts = true;
        private PushSampler pushSampler;
        private int rememberedMessages = Messenger.DEFAULT_REMEMBERED;
        private Duration chainRotationAge = Duration.ofDays(7);
        private KdfParams kdfFloor;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private String clientName = "fastchat-client";
        private ChatListener listener = new ChatListener() {};
        private boolean autoReconnect;
        private boolean keepSession;

        private Builder() {}

        /**
         * A server to connect to. Call it once per node of a cluster: the client tries them in order, keeps
         * to the one that answered, follows one {@code Redirect} of the cluster's balancing, and moves to the
         * others when its node goes away.
         */
        public Builder server(String host, int port) {
            if (defaultServer) {
                servers.clear();
                defaultServer = false;
            }
            servers.add(new Endpoint(host, port));
            return this;
        }

        /**
         * With {@code true}: verify the server's TLS certificate against the system's trusted certificates and its
         * host name (a server with a certificate from a real authority). With {@code false} (the default): accept
         * the certificate a server shows on the first connection, pin it, and refuse another one later with
         * {@code UNTRUSTED_SERVER} (as SSH does with host keys); see {@link ServerInfo#certificatePinnedNow()}.
         */
        public Builder tls(boolean enabled) {
            this.tls = enabled;
            return this;
        }

        /** Use TLS and trust exactly this PEM certificate (a self-signed server's); implies {@code tls(true)}. */
        public Builder serverCertificate(Path pemFile) {
            this.serverCertificate = pemFile;
            this.tls = true;
            return this;
        }

        /**
         * Connect over plain TCP, without TLS: anyone on the network can read the auth key (a password
         * equivalent) and pose as the server. Only for servers started with {@code insecure-plaintext}, in tests
         * and benchmarks on one machine.
         */
        public Builder insecurePlaintext(boolean enabled) {
            this.insecurePlaintext = enabled;
            return this;
        }

        /** Where the servers' certificates are pinned on first use; default {@code known_servers} in the key store directory. */
        public Builder knownServersFile(Path file) {
            this.knownServers = file;
            return this;
        }

        /** Share these I/O threads (many clients in one process); the client then does not shut them down. */
        public Builder eventLoopGroup(EventLoopGroup shared) {
            this.group = shared;
            return this;
        }

        /** Where identity keys are kept; default {@code ~/.config/fastchat/keys}. */
        public Builder keyStoreDirectory(Path directory) {
            this.keyStoreDirectory = directory;
            return this;
        }

        /**
         * Argon2id cost for new accounts; default {@link KdfParams#DEFAULT}. Cheaper values are for tests and
         * load runs, and only servers configured for them accept them.
         */
        public Builder registrationKdf(KdfParams params) {
            this.registrationKdf = params;
            return this;
        }

        /**
         * The least Argon2id cost this client accepts from a server at log-in (and registers with); default
         * {@link KdfParams#DEFAULT}, or the {@link #registrationKdf} when that is cheaper. A server that asks for
         * less, or for more than {@link KdfParams#CEILING}, is refused with {@code UNTRUSTED_SERVER}.
         */
        public Builder kdfFloor(KdfParams floor) {
            this.kdfFloor = floor;
            return this;
        }

        /** How long a request may wait for its answer; default 30 s. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = timeout;
            return this;
        }

        /** The client's name and version, sent in the handshake and shown as the session's device. */
        public Builder clientName(String name) {
            this.clientName = name;
            return this;
        }

        /** Receives connection events; see {@link ChatListener} for threading. */
        public Builder listener(ChatListener chatListener) {
            this.listener = chatListener;
            return this;
        }

        /**
         * Whether a logged-in client whose connection drops reconnects by itself: with exponential backoff
         * (from 0.5 s up to 30 s, with jitter) until it is back, the session expired, or the client is
         * closed. See {@link ChatClient#reconnect()} for what a reconnect does. Off by default.
         */
        public Builder autoReconnect(boolean enabled) {
            this.autoReconnect = enabled;
            return this;
        }

        /**
         * When a session replaces its sender chain in a conversation by a new one (announced to the members again)
         * though the members did not change: after {@code messages} messages (default 1,000) or at {@code age}
         * (default 7 days), whichever comes first. A chain is replaced on every change of the members or their keys
         * in any case.
         */
        public Builder chainRotation(int messages, Duration age) {
            if (messages < 1 || messages > dev.fastchat.crypto.SenderChain.MAX_INDEX || age.isNegative() || age.isZero()) {
                throw new IllegalArgumentException("a chain rotates after 1 to " + dev.fastchat.crypto.SenderChain.MAX_INDEX
                        + " messages and a positive age");
            }
            this.chainRotationMessages = messages;
            this.chainRotationAge = age;
            return this;
        }

        /**
         * Whether this device keeps its session: the resume token of a log-in is saved beside the identity
         * keys (owner-only), {@link ChatClient#resumeKept} logs in with it without the password, a later
         * password log-in replaces it (ending the old session on the server), and {@link ChatClient#logout}
         * forgets it. For command-line tools that run once per command. Off by default.
         */
        public Builder keepSession(boolean enabled) {
            this.keepSession = enabled;
            return this;
        }

        /** Whether to tell others when this user read their messages (on by default; delivered receipts always go). */
        public Builder readReceipts(boolean enabled) {
            this.readReceipts = enabled;
            return this;
        }

        /**
         * Whether this client sends receipts at all, delivered and read (on by default): off for a load generator,
         * which measures the message path and would otherwise add a receipt per delivery.
         */
        public Builder receipts(boolean enabled) {
            this.receipts = enabled;
            return this;
        }

        /** For load generators: open only the pushed messages the sampler picks (see {@link PushSampler}); null opens all. */
        public Builder pushSampler(PushSampler sampler) {
            this.pushSampler = sampler;
            return this;
        }

        /**
         * How many message ids the client remembers, the newest, in each of the memories that catch a message pushed
         * twice, a message the server replays at another seq (kept on disk too, across sessions), and this device's
         * own sends coming back, and how many opened messages' file references it keeps for fetching their files:
         * 100,000 by default. A client that lives long and never looks back (a load generator) may keep fewer, to keep
         * its memory flat; what it forgot it can no longer recognise, nor fetch.
         */
        public Builder rememberedMessages(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("a client remembers at least 1 message id");
            }
            this.rememberedMessages = count;
            return this;
        }

        /**
         * Builds the client (not yet connected).
         *
         * @throws ChatException with {@code BAD_REQUEST} if the server certificate cannot be read
         */
        public ChatClient build() {
            if (insecurePlaintext && tls) {
                throw ChatException.local(ErrorCode.BAD_REQUEST, "plain TCP and TLS contradict each other: choose one");
            }
            if (insecurePlaintext) {
                return new ChatClient(this, Optional.empty(), Optional.empty());
            }
            try {
                SslContextBuilder builder = SslContextBuilder.forClient();
                if (!tls) {
                    // Trust on first use: any certificate completes the handshake; the connection then checks
                    // its fingerprint against the pin before a byte of the protocol is sent.
                    builder.trustManager(io.netty.handler.ssl.util.InsecureTrustManagerFactory.INSTANCE);
                    Path pins = knownServers != null ? knownServers : keyStoreDirectory.resolve("known_servers");
                    return new ChatClient(this, Optional.of(builder.build()), Optional.of(new KnownServers(pins)));
                }
                builder.endpointIdentificationAlgorithm("HTTPS");
                if (serverCertificate != null) {
                    builder.trustManager(serverCertificate.toFile());
                }
                return new ChatClient(this, Optional.of(builder.build()), Optional.empty());
            } catch (SSLException | IllegalArgumentException e) {
                throw ChatException.local(ErrorCode.BAD_REQUEST, "cannot use server certificate " + serverCertificate
                        + ": " + e.getMessage(), e);
            }
        }
    }
}
