package dev.fastchat.client.internal;

import dev.fastchat.crypto.IdentityKeyPair;
import dev.fastchat.crypto.KdfParams;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * The identity keys of local accounts, one file per server and user under a directory (by default
 * {@code ~/.config/fastchat/keys}). Files are readable by their owner only ({@code rw-------}) and are
 * replaced atomically.
 */
public final class LocalKeyStore {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");

    private final Path directory;

    public LocalKeyStore(Path directory) {
        this.directory = directory;
    }

    /** The default directory: {@code $XDG_CONFIG_HOME/fastchat/keys}, else {@code ~/.config/fastchat/keys}. */
    public static Path defaultDirectory() {
        String xdg = System.getenv("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return base.resolve("fastchat").resolve("keys");
    }

    /** The file holding {@code username}'s keys for server {@code serverId}. */
    public Path file(String serverId, String username) {
        return directory.resolve(serverId.replaceAll("[^A-Za-z0-9_.-]", "_")).resolve(username + ".keys");
    }

    /** Stores (or replaces) the keys. */
    public void save(String serverId, String username, IdentityKeyPair identity) {
        Path file = file(serverId, username);
        Properties properties = new Properties();
        properties.setProperty("version", "1");
        properties.setProperty("username", username);
        properties.setProperty("x25519-private", Base64.getEncoder().encodeToString(identity.x25519Private()));
        properties.setProperty("ed25519-private", Base64.getEncoder().encodeToString(identity.ed25519Private()));
        writePrivate(file, properties, "FastChat identity keys: keep this file private");
    }

    /** The file of the contacts' keys that {@code username} pinned. */
    public Path pinsFile(String serverId, String username) {
        return file(serverId, username).resolveSibling(username + ".pins");
    }

    /** The pinned contact keys of {@code username} and the version of the trust state they were last synced as. */
    public record Pins(long version, java.util.Map<Long, PinnedKey> byAccount) {}

    /** The pinned contact keys of {@code username}, by account id, and their synced version. */
    public Pins loadPins(String serverId, String username) {
        java.util.Map<Long, PinnedKey> pins = new java.util.concurrent.ConcurrentHashMap<>();
        Properties properties = read(pinsFile(serverId, username), "the pinned keys").orElseGet(Properties::new);
        long version = 0;
        for (String key : properties.stringPropertyNames()) {
            if (key.equals("version")) {
                version = parseVersion(properties.getProperty(key));
                continue;
            }
            try {
                PinnedKey.parse(Long.parseLong(key), properties.getProperty(key)).ifPresent(pin -> pins.put(pin.accountId(), pin));
            } catch (NumberFormatException e) {
                // not a pin: left out
            }
        }
        return new Pins(version, pins);
    }

    private static long parseVersion(String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Replaces the pinned contact keys of {@code username}, synced as trust state {@code version}. */
    public synchronized void savePins(String serverId, String username, java.util.Collection<PinnedKey> pins, long version) {
        Properties properties = new Properties();
        pins.forEach(pin -> properties.setProperty(Long.toString(pin.accountId()), pin.format()));
        properties.setProperty("version", Long.toString(version));
        writePrivate(pinsFile(serverId, username), properties, "FastChat: contacts' identity keys, pinned on first use or verified");
    }

    /** The file of the Argon2id parameters {@code username} logged in with on this device. */
    public Path kdfFile(String serverId, String username) {
        return file(serverId, username).resolveSibling(username + ".kdf");
    }

    /** Remembers the Argon2id parameters of {@code username}'s account, as used on this device. */
    public void rememberKdf(String serverId, String username, KdfParams params) {
        Properties properties = new Properties();
        properties.setProperty("memory-kib", Integer.toString(params.memoryKib()));
        properties.setProperty("iterations", Integer.toString(params.iterations()));
        properties.setProperty("parallelism", Integer.toString(params.parallelism()));
        writePrivate(kdfFile(serverId, username), properties, "FastChat: the password hash cost of this account, as first used here");
    }

    /** The Argon2id parameters this device used for {@code username}, if it logged in before (and the file is readable). */
    public Optional<KdfParams> rememberedKdf(String serverId, String username) {
        return read(kdfFile(serverId, username), "the remembered password hash cost").flatMap(properties -> {
            try {
                return Optional.of(new KdfParams(Integer.parseInt(properties.getProperty("memory-kib", "")),
                        Integer.parseInt(properties.getProperty("iterations", "")),
                        Integer.parseInt(properties.getProperty("parallelism", ""))));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(kdfFile(serverId, username) + " is damaged (" + e.getMessage()
                        + "): delete it to trust the server's password hash cost once more", e);
            }
        });
    }

    /** The file of where each message {@code username} was shown on this device (for replay detection). */
    public Path shownFile(String serverId, String username) {
        return file(serverId, username).resolveSibling(username + ".shown");
    }

    /** The file of how far {@code username}'s device saw each group's membership chain. */
    public Path chainsFile(String serverId, String username) {
        return file(serverId, username).resolveSibling(username + ".chains");
    }

    /** Creates {@code file} owner-only (and its directory) if it does not exist. */
    static void createPrivateFile(Path file) throws IOException {
        createPrivateDirectories(file.getParent());
        if (!Files.exists(file)) {
            try {
                Files.createFile(file);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                return;
            }
            setPermissions(file, OWNER_ONLY);
        }
    }

    /** The file of the resume token this device keeps for {@code username}'s session. */
    public Path sessionFile(String serverId, String username) {
        return file(serverId, username).resolveSibling(username + ".session");
    }

    /** Keeps the resume token of this device's session (owner-only, replaced atomically). */
    public void saveSession(String serverId, String username, String token, java.time.Instant expiresAt) {
        Properties properties = new Properties();
        properties.setProperty("token", token);
        properties.setProperty("expires-at", expiresAt.toString());
        writePrivate(sessionFile(serverId, username), properties, "FastChat: this device's session (a password equivalent until it expires)");
    }

    /** The kept resume token of {@code username}, unless there is none or it expired before {@code now}. */
    public Optional<String> loadSession(String serverId, String username, java.time.Instant now) {
        Optional<Properties> kept = read(sessionFile(serverId, username), "the kept session");
        if (kept.isEmpty()) {
            return Optional.empty();
        }
        Properties properties = kept.get();
        String token = properties.getProperty("token", "");
        try {
            if (token.isEmpty() || !java.time.Instant.parse(properties.getProperty("expires-at", "")).isAfter(now)) {
                return Optional.empty();
            }
        } catch (java.time.format.DateTimeParseException e) {
            return Optional.empty();
        }
        return Optional.of(token);
    }

    /** Forgets the kept session of {@code username}. */
    public void deleteSession(String serverId, String username) {
        try {
            Files.deleteIfExists(sessionFile(serverId, username));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + sessionFile(serverId, username), e);
        }
    }

    /** Writes {@code properties} to {@code file}, owner-only, replacing it atomically. */
    static void writePrivate(Path file, Properties properties, String comment) {
        try {
            createPrivateDirectories(file.getParent());
            Path temporary = Files.createTempFile(file.getParent(), ".keys", ".tmp");
            setPermissions(temporary, OWNER_ONLY);
            try (Writer writer = Files.newBufferedWriter(temporary)) {
                properties.store(writer, comment);
            }
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** The stored keys, if any. */
    public Optional<IdentityKeyPair> load(String serverId, String username) {
        return read(file(serverId, username), "the key store").map(properties -> IdentityKeyPair.fromPrivateKeys(
                Base64.getDecoder().decode(properties.getProperty("x25519-private", "")),
                Base64.getDecoder().decode(properties.getProperty("ed25519-private", ""))));
    }

    /** The properties in {@code file}, or empty if it does not exist. */
    static Optional<Properties> read(Path file, String what) {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + what + " " + file, e);
        }
        return Optional.of(properties);
    }

    private static void createPrivateDirectories(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            setPermissions(dir, OWNER_ONLY_DIR);
        }
    }

    private static void setPermissions(Path path, Set<PosixFilePermission> permissions) throws IOException {
        if (Files.getFileAttributeView(path, java.nio.file.attribute.PosixFileAttributeView.class) != null) {
            Files.setPosixFilePermissions(path, permissions);
        }
    }
}
