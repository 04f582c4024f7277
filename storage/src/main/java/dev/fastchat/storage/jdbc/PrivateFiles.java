package dev.fastchat.storage.jdbc;

import dev.fastchat.storage.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an embedded database private to the server's user: a new data directory is made {@code rwx------}
 * and a new database file {@code rw-------} before SQLite opens it (SQLite gives its {@code -wal} and
 * {@code -shm} files the database file's permissions); an existing one that others can read is reported at
 * start-up with the command that fixes it. Where the file system has no POSIX permissions, nothing is done.
 */
final class PrivateFiles {
    private static final Logger log = LoggerFactory.getLogger(PrivateFiles.class);
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private PrivateFiles() {}

    /** The file of a {@code jdbc:sqlite:} URL, unless it names an in-memory or URI database. */
    static Optional<Path> sqliteFile(String url) {
        String path = url.substring("jdbc:sqlite:".length());
        int query = path.indexOf('?');
        if (query >= 0) {
            path = path.substring(0, query);
        }
        if (path.isEmpty() || path.startsWith(":memory:") || path.startsWith("file:")) {
            return Optional.empty();
        }
        return Optional.of(Path.of(path).toAbsolutePath());
    }

    /** Creates the directory and the file owner-only if they are new; warns about existing ones that are not. */
    static void prepare(Path database) {
        Path directory = database.getParent();
        boolean posix = Files.getFileAttributeView(directory.getRoot(), PosixFileAttributeView.class) != null;
        try {
            if (!Files.isDirectory(directory)) {
                if (posix) {
                    Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } else {
                    Files.createDirectories(directory);
                }
            }
            if (posix && !Files.exists(database)) {
                Files.createFile(database, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
        } catch (IOException e) {
            throw new StorageException("cannot create the data directory " + directory, e);
        }
        if (posix) {
            warnIfShared(directory, "700");
            for (Path file : List.of(database, Path.of(database + "-wal"), Path.of(database + "-shm"))) {
                warnIfShared(file, "600");
            }
        }
    }

    private static void warnIfShared(Path path, String mode) {
        try {
            if (Files.exists(path)) {
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
                if (permissions.stream().anyMatch(OTHERS::contains)) {
                    log.warn("{} is open to other users ({}): it holds accounts and messages; run 'chmod {} {}'",
                            path, PosixFilePermissions.toString(permissions), mode, path);
                }
            }
        } catch (IOException e) {
            log.warn("cannot check the permissions of {}: {}", path, e.getMessage());
        }
    }
}
