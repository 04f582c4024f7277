package dev.fastchat.server.account;

import com.google.protobuf.ByteString;
import dev.fastchat.protocol.MessageLimits;
import dev.fastchat.protocol.Names;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.KeyBundle;
import dev.fastchat.protocol.v1.KeyLookup;
import dev.fastchat.protocol.v1.UserKeys;
import dev.fastchat.server.session.RequestRefusedException;
import dev.fastchat.storage.Account;
import dev.fastchat.storage.AccountRepository;
import dev.fastchat.storage.IdentityKeys;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Hands out users' public identity keys. The server is trusted only to relay them: clients pin what they
 * get on first use and warn when a key changes, so a server that substitutes keys is noticed.
 */
public final class KeyDirectoryService {
    private final AccountRepository accounts;
    private final dev.fastchat.storage.MessageRepository messages;
    private final dev.fastchat.server.session.SessionRegistry sessions;

    public KeyDirectoryService(AccountRepository accounts, dev.fastchat.storage.MessageRepository messages,
                               dev.fastchat.server.session.SessionRegistry sessions) {
        this.accounts = accounts;
        this.messages = messages;
        this.sessions = sessions;
    }

    /**
     * Tells the account's contacts (people it shares a conversation with) and its own other sessions that its
     * keys changed, at once (best effort: a client that misses it sees the new keys at its next lookup).
     *
     * @return the answer to the replacing request: the new keys
     */
    public Envelope.Builder announce(dev.fastchat.server.session.Connection from, long accountId, String name, IdentityKeys keys) {
        UserKeys user = userKeys(accountId, name, keys);
        List<Long> recipients = new ArrayList<>(messages.contactsOf(accountId));
        recipients.add(accountId);
        sessions.push(recipients, Envelope.newBuilder().setKeysChanged(dev.fastchat.protocol.v1.KeysChanged.newBuilder()
                .setUser(user)).build(), from);
        return Envelope.newBuilder().setKeyBundle(KeyBundle.newBuilder().addUsers(user));
    }

    public CompletableFuture<Envelope.Builder> lookup(KeyLookup request) {
        if (request.getUsernamesCount() + request.getAccountIdsCount() > MessageLimits.MAX_KEY_LOOKUP) {
            throw new RequestRefusedException(ErrorCode.TOO_LARGE, "at most " + MessageLimits.MAX_KEY_LOOKUP + " users per lookup");
        }
        Map<Long, Account> found = new LinkedHashMap<>();
        for (String requested : request.getUsernamesList()) {
            Account account = Names.canonical(requested).flatMap(accounts::findByName)
                    .orElseThrow(() -> new RequestRefusedException(ErrorCode.UNKNOWN_USER, "no user named '" + Names.printable(requested) + "'"));
            found.put(account.id(), account);
        }
        List<Long> ids = new ArrayList<>(request.getAccountIdsList());
        ids.removeAll(found.keySet());
        if (!ids.isEmpty()) {
            List<Account> byId = accounts.findByIds(ids);
            if (byId.size() != ids.stream().distinct().count()) {
                throw new RequestRefusedException(ErrorCode.UNKNOWN_USER, "an account id of the lookup does not exist");
            }
            byId.forEach(account -> found.put(account.id(), account));
        }
        KeyBundle.Builder bundle = KeyBundle.newBuilder();
        found.values().forEach(account -> bundle.addUsers(userKeys(account.id(), account.name(), account.identity())));
        return CompletableFuture.completedFuture(Envelope.newBuilder().setKeyBundle(bundle));
    }

    /** The account's public keys as the directory has them now; empty if there is no such account. */
    public java.util.Optional<UserKeys> current(long accountId) {
        return accounts.findById(accountId).map(account -> userKeys(account.id(), account.name(), account.identity()));
    }

    /** The wire form of a user's public keys. */
    public static UserKeys userKeys(long accountId, String name, IdentityKeys keys) {
        return UserKeys.newBuilder()
                .setAccountId(accountId)
                .setUsername(name)
                .setIdentity(dev.fastchat.protocol.v1.IdentityKeys.newBuilder()
                        .setKeyId(keys.keyId())
                        .setX25519Public(ByteString.copyFrom(keys.x25519Public()))
                        .setEd25519Public(ByteString.copyFrom(keys.ed25519Public())))
                .build();
    }
}
