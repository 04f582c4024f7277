package dev.fastchat.server.account;

import com.google.protobuf.ByteString;
import dev.fastchat.protocol.Names;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.GetKdfParams;
import dev.fastchat.protocol.v1.KdfParams;
import dev.fastchat.protocol.v1.Login;
import dev.fastchat.protocol.v1.Logout;
import dev.fastchat.protocol.v1.Ok;
import dev.fastchat.protocol.v1.Register;
import dev.fastchat.protocol.v1.ReplaceKeys;
import dev.fastchat.protocol.v1.Resume;
import dev.fastchat.protocol.v1.Session;
import dev.fastchat.server.config.AccountsConfig;
import dev.fastchat.server.limits.RateLimiter;
import dev.fastchat.server.session.Connection;
import dev.fastchat.server.session.ConnectionState.LoggedIn;
import dev.fastchat.server.session.RequestRefusedException;
import dev.fastchat.storage.Account;
import dev.fastchat.storage.AccountRepository;
import dev.fastchat.storage.Credential;
import dev.fastchat.storage.IdentityKeys;
import dev.fastchat.storage.KdfCost;
import dev.fastchat.storage.NameTakenException;
import dev.fastchat.storage.NewAccount;
import dev.fastchat.storage.SessionRepository;
import dev.fastchat.storage.StoredSession;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registration, log-in, resume and log-out. The server never sees a password: clients send an auth key
 * derived from it (Argon2id, then HKDF), and the server stores {@code SHA-256(salt || auth key)} and
 * compares in constant time. Failed log-ins are throttled per account name and per address.
 * Methods may block on the database; call them off the event loop.
 */
public final class AccountService {
    private static final Logger log = LoggerFactory.getLogger(AccountService.class);
    /** The KDF cost new clients use, and what unknown names are told (so answers do not reveal which names exist). */
    public static final KdfParams DEFAULT_KDF = KdfParams.newBuilder()
            .setAlgorithm("argon2id").setMemoryKib(19 * 1024).setIterations(2).setParallelism(1).build();
    private static final int KEY_BYTES = 32;
    private static final int MAX_KEY_BACKUP_BYTES = 4096;
    private static final int MAX_DEVICE_CHARS = 64;

    private final AccountRepository accounts;
    private final SessionRepository sessions;
    private final dev.fastchat.server.session.SessionRegistry live;
    private final AccountsConfig config;
    private final LoginGuard guard;
    private final RateLimiter<String> registrations;
    private final SecureRandom random;
    private final Clock clock;
    /** Compared against when the name is unknown, so that path costs the same as a wrong key. */
    private final Credential decoy;

    public AccountService(AccountRepository accounts, SessionRepository sessions, dev.fastchat.server.session.SessionRegistry live,
                          AccountsConfig config, SecureRandom random, Clock clock) {
        this.accounts = accounts;
        this.sessions = sessions;
        this.live = live;
        this.config = config;
        this.random = random;
        this.clock = clock;
        this.guard = new LoginGuard(config.loginDelayFirst(), config.loginDelayMax(), config.loginFailureRatePerAddress(),
                config.loginFailureBurstPerAddress(), config.loginFailureRatePerAccount(), config.loginFailureBurstPerAccount(), clock);
        this.registrations = RateLimiter.perPeriod(config.registrationsPerAddressPerHour(), java.time.Duration.ofHours(1), clock);
        byte[] salt = Secrets.random(random, 16);
        this.decoy = new Credential(salt, Secrets.sha256(salt, Secrets.random(random, KEY_BYTES)));
    }

    /** The KDF parameters of {@code username}'s account, or the defaults for unknown names. */
    public CompletableFuture<Envelope.Builder> kdfParams(GetKdfParams request) {
        KdfParams params = Names.canonical(request.getUsername())
                .flatMap(accounts::findByName)
                .map(account -> toProto(account.kdf()))
                .orElse(DEFAULT_KDF);
        return done(Envelope.newBuilder().setKdfParams(params));
    }

    /** Creates an account and logs the connection in. */
    public CompletableFuture<Envelope.Builder> register(Connection connection, Register request) {
        String name = canonicalName(request.getUsername());
        requireKey(request.getAuthKey(), "auth_key");
        KdfParams kdf = request.getKdfParams();
        if (!"argon2id".equals(kdf.getAlgorithm())) {
            throw refused(ErrorCode.BAD_REQUEST, "kdf_params.algorithm must be argon2id");
        }
        if (kdf.getMemoryKib() < config.minKdfMemoryKib() || kdf.getIterations() < config.minKdfIterations()
                || kdf.getParallelism() < 1 || kdf.getParallelism() > 16) {
            throw refused(ErrorCode.BAD_REQUEST, "password KDF too weak: this server needs at least "
                    + config.minKdfMemoryKib() + " KiB and " + config.minKdfIterations() + " iterations");
        }
        requireKey(request.getIdentity().getX25519Public(), "identity.x25519_public");
        requireKey(request.getIdentity().getEd25519Public(), "identity.ed25519_public");
        if (request.getKeyBackup().isEmpty() || request.getKeyBackup().size() > MAX_KEY_BACKUP_BYTES) {
            throw refused(ErrorCode.BAD_REQUEST, "key_backup must be 1 to " + MAX_KEY_BACKUP_BYTES + " bytes");
        }
        String device = device(request.getDevice());
        String address = connection.remoteAddress();
        if (!config.exemptAddresses().contains(address)) {
            registrations.tryTake(address).ifPresent(wait -> {
                throw new RequestRefusedException(ErrorCode.RATE_LIMITED, "too many accounts registered from " + address
                        + " (at most " + config.registrationsPerAddressPerHour() + " an hour); try again later", wait);
            });
        }
        byte[] salt = Secrets.random(random, 16);
        NewAccount account = new NewAccount(name,
                new Credential(salt, Secrets.sha256(salt, request.getAuthKey().toByteArray())),
                new KdfCost(kdf.getMemoryKib(), kdf.getIterations(), kdf.getParallelism()),
                new IdentityKeys(1, request.getIdentity().getX25519Public().toByteArray(),
                        request.getIdentity().getEd25519Public().toByteArray()),
                request.getKeyBackup().toByteArray(),
                clock.instant());
        return accounts.create(account)
                .exceptionally(failure -> {
                    Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
                    if (cause instanceof NameTakenException) {
                        throw refused(ErrorCode.ACCOUNT_EXISTS, "the name '" + name + "' is taken");
                    }
                    throw failure instanceof CompletionException c ? c : new CompletionException(failure);
                })
                .thenCompose(created -> {
                    log.info("registered account {} ({})", created.id(), connection.id());
                    return startSession(connection, created, device);
                });
    }

    /** Checks the auth key and logs the connection in. */
    public CompletableFuture<Envelope.Builder> login(Connection connection, Login request) {
        Account account = authenticate(connection, request.getUsername(), request.getAuthKey());
        // This device's earlier session ends: a device holds one session at a time.
        CompletableFuture<Boolean> replaced = request.getReplacesToken().isEmpty() || request.getReplacesToken().length() > 128
                ? CompletableFuture.completedFuture(false)
                : sessions.delete(Secrets.tokenHash(request.getReplacesToken()), account.id());
        return replaced.thenCompose(ended -> startSession(connection, account, device(request.getDevice())));
    }

    /**
     * The account whose auth key this is, checked in constant time and throttled like every password check.
     *
     * @throws RequestRefusedException {@code WRONG_CREDENTIALS} or {@code RATE_LIMITED}
     */
    private Account authenticate(Connection connection, String username, ByteString authKey) {
        String address = connection.remoteAddress();
        Optional<String> name = Names.canonical(username);
        String accountKey = name.orElse(username);
        guard.retryAfter(accountKey, address).ifPresent(wait -> {
            throw new RequestRefusedException(ErrorCode.RATE_LIMITED, "too many wrong passwords; try again in "
                    + Math.max(1, (wait.toMillis() + 999) / 1000) + " s", wait);
        });
        Optional<Account> account = name.flatMap(accounts::findByName);
        Credential credential = account.map(Account::credential).orElse(decoy);
        byte[] presented = Secrets.sha256(credential.salt(), authKey.toByteArray());
        if (account.isEmpty() | !Secrets.equal(presented, credential.hash())) {
            guard.failed(accountKey, address);
            log.info("failed log-in ({})", connection.id());
            throw refused(ErrorCode.WRONG_CREDENTIALS, "wrong user name or password");
        }
        guard.succeeded(accountKey, address);
        return account.get();
    }

    /**
     * Replaces the logged-in account's identity keys after checking its password (its auth key): a resume
     * token alone cannot. Completes with the new keys, once stored.
     */
    public CompletableFuture<dev.fastchat.storage.IdentityKeys> replaceKeys(Connection connection, ReplaceKeys request) {
        LoggedIn user = connection.state().loggedIn().orElseThrow(() -> refused(ErrorCode.UNAUTHENTICATED, "log in first"));
        Account account = authenticate(connection, user.username(), request.getAuthKey());
        requireKey(request.getIdentity().getX25519Public(), "identity.x25519_public");
        requireKey(request.getIdentity().getEd25519Public(), "identity.ed25519_public");
        if (request.getKeyBackup().isEmpty() || request.getKeyBackup().size() > MAX_KEY_BACKUP_BYTES) {
            throw refused(ErrorCode.BAD_REQUEST, "key_backup must be 1 to " + MAX_KEY_BACKUP_BYTES + " bytes");
        }
        return accounts.replaceKeys(account.id(), request.getIdentity().getX25519Public().toByteArray(),
                request.getIdentity().getEd25519Public().toByteArray(), request.getKeyBackup().toByteArray(), clock.instant())
                .whenComplete((keys, failure) -> {
                    if (failure == null) {
                        log.info("account {} replaced its identity keys (key {})", account.id(), keys.keyId());
                    }
                });
    }

    /** Logs the connection in with a resume token from an earlier session. */
    public CompletableFuture<Envelope.Builder> resume(Connection connection, Resume request) {
        String token = request.getToken();
        if (token.isEmpty() || token.length() > 128) {
            throw refused(ErrorCode.UNAUTHENTICATED, "resume token unknown or expired; log in again");
        }
        byte[] hash = Secrets.tokenHash(token);
        StoredSession stored = sessions.findValid(hash, clock.instant())
                .orElseThrow(() -> refused(ErrorCode.UNAUTHENTICATED, "resume token unknown or expired; log in again"));
        Account account = accounts.findById(stored.accountId())
                .orElseThrow(() -> refused(ErrorCode.UNAUTHENTICATED, "the account of this session no longer exists"));
        connection.state().logIn(new LoggedIn(account.id(), account.name(), hash, stored.expiresAt()));
        touch(connection, hash); // not waited for: a resume (every reconnect, every one-shot command) stays a read
        return done(Envelope.newBuilder().setSession(session(account, token, stored.expiresAt())));
    }

    /** Ends the connection's session (or every session of its account) and invalidates the resume tokens. */
    public CompletableFuture<Envelope.Builder> logout(Connection connection, Logout request) {
        LoggedIn loggedIn = connection.state().loggedIn()
                .orElseThrow(() -> refused(ErrorCode.UNAUTHENTICATED, "not logged in"));
        CompletableFuture<?> ended = request.getEverywhere()
                ? sessions.deleteAll(loggedIn.accountId())
                : sessions.delete(loggedIn.tokenHash());
        return ended.thenApply(existed -> {
            live.endSessions(loggedIn.accountId(), request.getEverywhere() ? null : loggedIn.tokenHash(),
                    request.getEverywhere() ? "logged out on every device" : "logged out", connection);
            connection.state().logOut();
            return Envelope.newBuilder().setOk(Ok.getDefaultInstance());
        });
    }

    private CompletableFuture<Envelope.Builder> startSession(Connection connection, Account account, String device) {
        String token = Secrets.newToken(random);
        byte[] hash = Secrets.tokenHash(token);
        Instant now = clock.instant();
        Instant expires = now.plus(config.tokenTtl());
        return sessions.create(new StoredSession(hash, account.id(), device, now, expires))
                .thenCompose(stored -> touch(connection, hash))
                .thenApply(touched -> {
                    connection.state().logIn(new LoggedIn(account.id(), account.name(), hash, expires));
                    return Envelope.newBuilder().setSession(session(account, token, expires));
                });
    }

    /**
     * Notes when and from where the session was used, for the user's list of sessions; a failure to note it
     * does not stop the log-in.
     */
    private CompletableFuture<Void> touch(Connection connection, byte[] hash) {
        return sessions.touch(hash, clock.instant(), connection.remoteAddress()).exceptionally(failure -> {
            log.debug("could not note the use of a session ({}): {}", connection.id(), failure.getMessage());
            return null;
        });
    }

    /** The caller's sessions (devices) that have not expired, the current one marked. */
    public CompletableFuture<Envelope.Builder> listSessions(Connection connection) {
        LoggedIn user = connection.state().user();
        dev.fastchat.protocol.v1.SessionList.Builder list = dev.fastchat.protocol.v1.SessionList.newBuilder();
        for (dev.fastchat.storage.SessionSummary session : sessions.list(user.accountId(), clock.instant())) {
            list.addSessions(dev.fastchat.protocol.v1.SessionEntry.newBuilder()
                    .setId(sessionId(session.tokenHash()))
                    .setDevice(session.device())
                    .setCreatedAtMs(session.createdAt().toEpochMilli())
                    .setLastSeenMs(session.lastSeenAt().toEpochMilli())
                    .setAddress(session.lastAddress())
                    .setExpiresAtMs(session.expiresAt().toEpochMilli())
                    .setCurrent(java.util.Arrays.equals(session.tokenHash(), user.tokenHash())));
        }
        return done(Envelope.newBuilder().setSessionList(list));
    }

    /** Blocks or unblocks a user for the caller. */
    public CompletableFuture<Envelope.Builder> block(Connection connection, dev.fastchat.protocol.v1.BlockUser request) {
        LoggedIn user = connection.state().user();
        Account other = Names.canonical(request.getUsername()).flatMap(accounts::findByName).orElseThrow(() ->
                refused(ErrorCode.UNKNOWN_USER, "no user named '" + Names.printable(request.getUsername()) + "'"));
        if (other.id() == user.accountId()) {
            throw refused(ErrorCode.BAD_REQUEST, "you cannot block yourself");
        }
        return accounts.setBlocked(user.accountId(), other.id(), !request.getUnblock(), clock.instant()).thenApply(changed -> {
            if (changed) {
                log.info("account {} {} account {}", user.accountId(), request.getUnblock() ? "unblocked" : "blocked", other.id());
            }
            return Envelope.newBuilder().setOk(Ok.getDefaultInstance());
        });
    }

    /** The users the caller has blocked. */
    public CompletableFuture<Envelope.Builder> listBlocked(Connection connection) {
        return done(Envelope.newBuilder().setBlockedUsers(dev.fastchat.protocol.v1.BlockedUsers.newBuilder()
                .addAllUsernames(accounts.blockedBy(connection.state().user().accountId()))));
    }

    /** The most a sealed trust state may take. */
    static final int MAX_TRUST_STATE_BYTES = 512 * 1024;

    /** The caller's sealed trust state (pins and verified marks), as their client stored it. */
    public CompletableFuture<Envelope.Builder> trustState(Connection connection) {
        return done(Envelope.newBuilder().setTrustState(toProto(accounts.trustState(connection.state().user().accountId()))));
    }

    /** Replaces the caller's sealed trust state with its next version. */
    public CompletableFuture<Envelope.Builder> putTrustState(Connection connection, dev.fastchat.protocol.v1.PutTrustState request) {
        long accountId = connection.state().user().accountId();
        if (request.getSealed().size() > MAX_TRUST_STATE_BYTES) {
            throw refused(ErrorCode.TOO_LARGE, "a trust state takes at most " + MAX_TRUST_STATE_BYTES + " bytes");
        }
        if (request.getVersion() < 1 || request.getSealed().isEmpty()) {
            throw refused(ErrorCode.BAD_REQUEST, "a trust state needs a version from 1 and sealed bytes");
        }
        dev.fastchat.storage.TrustState state = new dev.fastchat.storage.TrustState(request.getVersion(), request.getSealed().toByteArray());
        return accounts.putTrustState(accountId, state, clock.instant()).thenApply(stored -> {
            if (!stored) {
                throw refused(ErrorCode.STALE_VERSION, "the stored trust state is not version " + (request.getVersion() - 1)
                        + ": fetch it, merge, and store the next version");
            }
            return Envelope.newBuilder().setTrustState(toProto(state));
        });
    }

    private static dev.fastchat.protocol.v1.TrustState toProto(dev.fastchat.storage.TrustState state) {
        return dev.fastchat.protocol.v1.TrustState.newBuilder().setVersion(state.version())
                .setSealed(com.google.protobuf.ByteString.copyFrom(state.sealed())).build();
    }

    /** Ends one of the caller's sessions by its listed id; its live connections close at once. */
    public CompletableFuture<Envelope.Builder> endSession(Connection connection, dev.fastchat.protocol.v1.EndSession request) {
        LoggedIn user = connection.state().user();
        byte[] hash = sessions.list(user.accountId(), clock.instant()).stream()
                .map(dev.fastchat.storage.SessionSummary::tokenHash)
                .filter(candidate -> sessionId(candidate).equals(request.getId()))
                .findFirst()
                .orElseThrow(() -> refused(ErrorCode.BAD_REQUEST, "you have no session '" + Names.printable(request.getId()) + "'"));
        return sessions.delete(hash, user.accountId()).thenApply(existed -> {
            live.endSessions(user.accountId(), hash, "this session was ended from another device", connection);
            if (java.util.Arrays.equals(hash, user.tokenHash())) {
                connection.state().logOut();
            }
            return Envelope.newBuilder().setOk(Ok.getDefaultInstance());
        });
    }

    /** A session's id in lists: a prefix of its token's hash (which does not give the token away). */
    private static String sessionId(byte[] tokenHash) {
        return java.util.HexFormat.of().formatHex(tokenHash, 0, 8);
    }

    private static Session.Builder session(Account account, String token, Instant expires) {
        return Session.newBuilder()
                .setAccountId(account.id())
                .setUsername(account.name())
                .setToken(token)
                .setExpiresAtMs(expires.toEpochMilli())
                .setKdfParams(toProto(account.kdf()))
                .setIdentity(dev.fastchat.protocol.v1.IdentityKeys.newBuilder()
                        .setKeyId(account.identity().keyId())
                        .setX25519Public(ByteString.copyFrom(account.identity().x25519Public()))
                        .setEd25519Public(ByteString.copyFrom(account.identity().ed25519Public())))
                .setKeyBackup(ByteString.copyFrom(account.keyBackup()));
    }

    private static KdfParams toProto(KdfCost cost) {
        return KdfParams.newBuilder().setAlgorithm("argon2id").setMemoryKib(cost.memoryKib())
                .setIterations(cost.iterations()).setParallelism(cost.parallelism()).build();
    }

    private static String canonicalName(String requested) {
        return Names.canonical(requested).orElseThrow(() -> refused(ErrorCode.INVALID_NAME,
                "'" + Names.printable(requested) + "' is not a valid name: " + Names.rule()));
    }

    private static String device(String requested) {
        String device = requested.isBlank() ? "unnamed" : requested.strip();
        return device.length() > MAX_DEVICE_CHARS ? device.substring(0, MAX_DEVICE_CHARS) : device;
    }

    private static void requireKey(ByteString key, String field) {
        if (key.size() != KEY_BYTES) {
            throw refused(ErrorCode.BAD_REQUEST, field + " must be " + KEY_BYTES + " bytes, got " + key.size());
        }
    }

    private static RequestRefusedException refused(ErrorCode code, String reason) {
        return new RequestRefusedException(code, reason);
    }

    private static CompletableFuture<Envelope.Builder> done(Envelope.Builder response) {
        return CompletableFuture.completedFuture(response);
    }
}
