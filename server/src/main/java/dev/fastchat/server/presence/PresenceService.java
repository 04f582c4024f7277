package dev.fastchat.server.presence;

import dev.fastchat.protocol.MessageLimits;
import dev.fastchat.protocol.Names;
import dev.fastchat.protocol.v1.Directory;
import dev.fastchat.protocol.v1.DirectoryEntry;
import dev.fastchat.protocol.v1.DirectoryKind;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.ListDirectory;
import dev.fastchat.protocol.v1.Presence;
import dev.fastchat.protocol.v1.PresenceChanged;
import dev.fastchat.protocol.v1.PresenceList;
import dev.fastchat.protocol.v1.WhoIsOnline;
import dev.fastchat.server.session.Connection;
import dev.fastchat.server.session.ConnectionState.LoggedIn;
import dev.fastchat.server.session.RequestRefusedException;
import dev.fastchat.server.session.SessionRegistry;
import dev.fastchat.storage.Account;
import dev.fastchat.storage.AccountRepository;
import dev.fastchat.storage.MessageRepository;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is online. A user is online while they have a logged-in session; the session ends with a log-out,
 * a disconnect, or the idle timeout (a peer that vanishes without closing its socket), so nobody stays
 * "online" after they are gone. When a user's first session starts or their last one ends, the sessions
 * of their contacts get {@code PresenceChanged} (best effort).
 */
public final class PresenceService {
    private static final Logger log = LoggerFactory.getLogger(PresenceService.class);

    private final SessionRegistry sessions;
    private final AccountRepository accounts;
    private final MessageRepository messages;
    private final Executor executor;

    public PresenceService(SessionRegistry sessions, AccountRepository accounts, MessageRepository messages, Executor executor) {
        this.sessions = sessions;
        this.accounts = accounts;
        this.messages = messages;
        this.executor = executor;
    }

    /** Called after a successful log-in, registration or resume on {@code connection}. */
    public void loggedIn(Connection connection) {
        connection.state().loggedIn().ifPresent(user -> {
            if (sessions.add(user.accountId(), connection)) {
                announce(user.accountId(), user.username(), true);
            }
        });
    }

    /** Called when a session ends (log-out or connection closed); safe to call for sessions never logged in. */
    public void loggedOut(Connection connection, LoggedIn user) {
        long last = sessions.remove(connection);
        if (last != 0) {
            announce(last, user.username(), false);
        }
    }

    private void announce(long accountId, String username, boolean online) {
        executor.execute(() -> {
            try {
                // Still true? A quick reconnect may have flipped it back already.
                if (sessions.isOnline(accountId) != online) {
                    return;
                }
                Envelope push = Envelope.newBuilder().setPresenceChanged(PresenceChanged.newBuilder()
                        .setPresence(presence(accountId, username, online))).build();
                sessions.push(messages.contactsOf(accountId).stream().filter(sessions::isOnline).toList(), push);
            } catch (RuntimeException e) {
                log.warn("presence change of account {} not announced: {}", accountId, e.getMessage());
            }
        });
    }

    /**
     * The node holding these accounts' sessions died: tells their contacts with sessions on this node that
     * they are offline (every surviving node does the same for its own sessions).
     */
    public void nodeLost(java.util.Set<Long> accountIds) {
        executor.execute(() -> {
            for (Account account : accounts.findByIds(accountIds)) {
                try {
                    Envelope push = Envelope.newBuilder().setPresenceChanged(PresenceChanged.newBuilder()
                            .setPresence(presence(account.id(), account.name(), false))).build();
                    for (long contact : messages.contactsOf(account.id())) {
                        sessions.pushHere(contact, push, null);
                    }
                } catch (RuntimeException e) {
                    log.warn("offline of account {} not announced: {}", account.id(), e.getMessage());
                }
            }
        });
    }

    /**
     * Sessions on this node that the cluster had lost (this node was taken for dead, or the bus lost its state)
     * were announced again: their contacts, who were told they went offline, are told they are online.
     */
    public void restored(java.util.Set<Long> accountIds) {
        executor.execute(() -> {
            for (Account account : accounts.findByIds(accountIds)) {
                announce(account.id(), account.name(), true);
            }
        });
    }

    /** Presence of the named users, or of the caller's contacts when none are named. */
    public CompletableFuture<Envelope.Builder> who(Connection connection, WhoIsOnline request) {
        LoggedIn user = connection.state().user();
        if (request.getUsernamesCount() > MessageLimits.MAX_KEY_LOOKUP) {
            throw new RequestRefusedException(ErrorCode.TOO_LARGE, "at most " + MessageLimits.MAX_KEY_LOOKUP + " names at once");
        }
        List<Account> users = new ArrayList<>();
        if (request.getUsernamesCount() == 0) {
            users.addAll(accounts.findByIds(messages.contactsOf(user.accountId())));
        } else {
            for (String name : request.getUsernamesList()) {
                users.add(Names.canonical(name).flatMap(accounts::findByName).orElseThrow(() ->
                        new RequestRefusedException(ErrorCode.UNKNOWN_USER, "no user named '" + Names.printable(name) + "'")));
            }
        }
        PresenceList.Builder list = PresenceList.newBuilder();
        users.stream().sorted(java.util.Comparator.comparing(Account::name))
                .forEach(a -> list.addUsers(presence(a.id(), a.name(), sessions.isOnline(a.id()))));
        return CompletableFuture.completedFuture(Envelope.newBuilder().setPresenceList(list));
    }

    /** Registered users and groups by name, for discovery; optionally only users online now. */
    public CompletableFuture<Envelope.Builder> directory(ListDirectory request) {
        int limit = dev.fastchat.server.session.RequestBounds.limit(request.getLimit(), MessageLimits.DEFAULT_DIRECTORY_PAGE,
                MessageLimits.MAX_DIRECTORY_PAGE);
        Directory.Builder page = Directory.newBuilder();
        String after = request.getAfter();
        while (page.getEntriesCount() < limit) {
            List<dev.fastchat.storage.DirectoryEntry> names = accounts.directory(after, limit + 1);
            if (names.isEmpty()) {
                break;
            }
            for (dev.fastchat.storage.DirectoryEntry entry : names) {
                after = entry.name();
                boolean isOnline = !entry.group() && sessions.isOnline(entry.accountId());
                if (request.getOnlineOnly() && (entry.group() || !isOnline)) {
                    continue;
                }
                if (page.getEntriesCount() == limit) {
                    page.setMore(true);
                    break;
                }
                page.addEntries(DirectoryEntry.newBuilder().setName(entry.name())
                        .setKind(entry.group() ? DirectoryKind.GROUP_NAME : DirectoryKind.USER).setOnline(isOnline));
            }
            if (page.getMore() || names.size() <= limit) {
                break;
            }
        }
        return CompletableFuture.completedFuture(Envelope.newBuilder().setDirectory(page));
    }

    private static Presence presence(long accountId, String username, boolean online) {
        return Presence.newBuilder().setAccountId(accountId).setUsername(username).setOnline(online).build();
    }
}
