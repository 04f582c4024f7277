package dev.fastchat.client.internal;

import com.google.protobuf.ByteString;
import dev.fastchat.client.ChatException;
import dev.fastchat.crypto.FileCipher;
import dev.fastchat.crypto.OpenException;
import dev.fastchat.protocol.v1.Download;
import dev.fastchat.protocol.v1.Envelope;
import dev.fastchat.protocol.v1.ErrorCode;
import dev.fastchat.protocol.v1.FileChunk;
import dev.fastchat.protocol.v1.FileReference;
import dev.fastchat.protocol.v1.UploadChunk;
import dev.fastchat.protocol.v1.UploadDone;
import dev.fastchat.protocol.v1.UploadStart;
import dev.fastchat.protocol.v1.UploadState;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Moves files as encrypted chunks, one chunk in memory at a time. Uploads encrypt each chunk under a fresh
 * file key ({@link FileCipher}); downloads decrypt, check the SHA-256 of the whole file, and only then
 * give the file its (made safe, never overwriting) name. Either resumes from the last acknowledged chunk
 * when the connection drops and comes back (with auto-reconnect) within a minute.
 */
public final class FileTransfer {
    private static final int MAX_NAME_BYTES = 200;

    private final Function<Envelope.Builder, CompletableFuture<Envelope>> rpc;
    private final BooleanSupplier connected;
    private final SecureRandom random;

    public FileTransfer(Function<Envelope.Builder, CompletableFuture<Envelope>> rpc, BooleanSupplier connected, SecureRandom random) {
        this.rpc = rpc;
        this.connected = connected;
        this.random = random;
    }

    /**
     * Encrypts and uploads {@code path} to a conversation.
     *
     * @return the reference to seal into the message that shares it
     */
    public FileReference upload(String conversationId, Path path, String mediaType) {
        long size = size(path);
        byte[] sha256 = digest(path);
        UploadState state = call(Envelope.newBuilder().setUploadStart(UploadStart.newBuilder()
                .setConversationId(conversationId).setSize(size))).getUploadState();
        String fileId = state.getFileId();
        byte[] key = FileCipher.newKey(random);
        int chunkSize = state.getChunkSize();
        int count = state.getChunkCount();
        int next = 0;
        while (next < count) {
            try (InputStream in = Files.newInputStream(path)) {
                in.skipNBytes((long) next * chunkSize);
                byte[] buffer = new byte[chunkSize];
                while (next < count) {
                    int read = in.readNBytes(buffer, 0, chunkSize);
                    byte[] sealed = FileCipher.encrypt(key, fileId, next, count, buffer, read);
                    next = call(Envelope.newBuilder().setUploadChunk(UploadChunk.newBuilder()
                            .setFileId(fileId).setIndex(next).setData(ByteString.copyFrom(sealed)))).getUploadState().getNextChunk();
                }
            } catch (ChatException e) {
                if (e.code() != ErrorCode.UNAVAILABLE) {
                    throw e;
                }
                awaitConnection(e);
                next = call(Envelope.newBuilder().setUploadStart(UploadStart.newBuilder().setFileId(fileId))).getUploadState().getNextChunk();
            } catch (IOException e) {
                throw ChatException.local(ErrorCode.BAD_REQUEST, "cannot read " + path + ": " + e.getMessage(), e);
            }
        }
        if (size(path) != size || !Arrays.equals(digest(path), sha256)) {
            throw new ChatException(ErrorCode.BAD_REQUEST, path + " changed while it was being sent; nothing was shared");
        }
        call(Envelope.newBuilder().setUploadDone(UploadDone.newBuilder().setFileId(fileId)));
        int[] dimensions = imageDimensions(path, mediaType);
        return FileReference.newBuilder()
                .setFileId(fileId)
                .setName(path.getFileName().toString())
                .setSize(size)
                .setMediaType(mediaType)
                .setKey(ByteString.copyFrom(key))
                .setSha256(ByteString.copyFrom(sha256))
                .setWidth(dimensions[0])
                .setHeight(dimensions[1])
                .build();
    }

    /**
     * Downloads, decrypts and checks a file, then saves it in {@code directory} under a safe name that
     * overwrites nothing.
     *
     * @return where it was saved
     */
    public Path download(FileReference reference, Path directory) {
        String fileId = reference.getFileId();
        Path temp;
        try {
            Files.createDirectories(directory);
            temp = Files.createTempFile(directory, ".fastchat-", ".part");
        } catch (IOException e) {
            throw ChatException.local(ErrorCode.BAD_REQUEST, "cannot write in " + directory + ": " + e.getMessage(), e);
        }
        try {
            MessageDigest sha = sha256();
            long total = 0;
            try (OutputStream out = Files.newOutputStream(temp)) {
                int count = 1;
                for (int index = 0; index < count; index++) {
                    FileChunk chunk = chunk(fileId, index);
                    count = chunk.getChunkCount();
                    byte[] plain = FileCipher.decrypt(reference.getKey().toByteArray(), fileId, index, count, chunk.getData().toByteArray());
                    total += plain.length;
                    if (total > reference.getSize()) {
                        throw new OpenException(OpenException.Reason.TAMPERED, "the file is larger than its sender said");
                    }
                    sha.update(plain);
                    out.write(plain);
                }
            }
            if (total != reference.getSize() || !MessageDigest.isEqual(sha.digest(), reference.getSha256().toByteArray())) {
                throw new OpenException(OpenException.Reason.TAMPERED, "the file's SHA-256 or size is not what its sender sealed");
            }
            return place(temp, directory, reference.getName());
        } catch (OpenException e) {
            throw new ChatException(ErrorCode.BAD_REQUEST, "file " + fileId + " was not saved: " + e.getMessage(), e);
        } catch (IOException e) {
            throw ChatException.local(ErrorCode.BAD_REQUEST, "cannot write in " + directory + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(temp);
        }
    }

    /** One chunk, waiting for the connection to come back if it drops. */
    private FileChunk chunk(String fileId, int index) {
        while (true) {
            try {
                return call(Envelope.newBuilder().setDownload(Download.newBuilder().setFileId(fileId).setIndex(index))).getFileChunk();
            } catch (ChatException e) {
                if (e.code() != ErrorCode.UNAVAILABLE) {
                    throw e;
                }
                awaitConnection(e);
            }
        }
    }

    private Envelope call(Envelope.Builder request) {
        return Messenger.await(rpc.apply(request));
    }

    private void awaitConnection(ChatException lost) {
        ConnectionWait.await(connected, System.nanoTime() + ConnectionWait.LIMIT.toNanos(), lost);
    }

    /** Moves the checked file to a name of its own in {@code directory}: never over an existing file. */
    static Path place(Path temp, Path directory, String name) throws IOException {
        String safe = safeName(name);
        int dot = safe.lastIndexOf('.');
        String stem = dot > 0 ? safe.substring(0, dot) : safe;
        String extension = dot > 0 ? safe.substring(dot) : "";
        for (int n = 0; n < 10_000; n++) {
            Path target = directory.resolve(n == 0 ? safe : stem + " (" + n + ")" + extension);
            try {
                Files.createFile(target); // claims the name atomically
            } catch (FileAlreadyExistsException e) {
                continue;
            }
            return Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        throw new IOException("no free name for " + safe + " in " + directory);
    }

    /**
     * The sender's name made harmless: its last path segment only (no directories, no {@code ..}), without
     * control, bidirectional-override or reserved characters, not hidden, not empty, at most 200 bytes.
     */
    public static String safeName(String name) {
        String last = name.replace('\\', '/');
        last = last.substring(last.lastIndexOf('/') + 1);
        StringBuilder safe = new StringBuilder();
        last.codePoints().filter(c -> !Character.isISOControl(c) && "<>:\"|?*".indexOf(c) < 0
                        && Character.getType(c) != Character.FORMAT && c != 0x2028 && c != 0x2029)
                .forEach(safe::appendCodePoint);
        String cleaned = safe.toString().strip().replaceAll("^\\.+", "").replaceAll("[. ]+$", "");
        while (cleaned.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            cleaned = cleaned.substring(cleaned.offsetByCodePoints(0, 1));
        }
        return cleaned.isEmpty() ? "file" : cleaned;
    }

    /** Width and height of an image, read from its header only; {0, 0} for anything else. */
    static int[] imageDimensions(Path path, String mediaType) {
        if (!mediaType.startsWith("image/")) {
            return new int[] {0, 0};
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(path.toFile())) {
            var readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                return new int[] {0, 0};
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return new int[] {reader.getWidth(0), reader.getHeight(0)};
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return new int[] {0, 0}; // not an image after all: shared without dimensions
        }
    }

    /** The media type from the file's name (and the platform's table), {@code application/octet-stream} if unknown. */
    public static String mediaType(Path path) {
        try {
            String probed = Files.probeContentType(path);
            if (probed != null) {
                return probed;
            }
        } catch (IOException e) {
            // fall back to the name
        }
        String name = path.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        String extension = name.substring(name.lastIndexOf('.') + 1);
        return switch (extension) {
            case "png" -> "image/png";
            case "jpg", "jpeg" -> "image/jpeg";
            case "gif" -> "image/gif";
            case "webp" -> "image/webp";
            case "txt" -> "text/plain";
            case "pdf" -> "application/pdf";
            default -> "application/octet-stream";
        };
    }

    private static long size(Path path) {
        try {
            if (!Files.isRegularFile(path)) {
                throw ChatException.local(ErrorCode.BAD_REQUEST, path + " is not a file");
            }
            return Files.size(path);
        } catch (IOException e) {
            throw ChatException.local(ErrorCode.BAD_REQUEST, "cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    private static byte[] digest(Path path) {
        MessageDigest sha = sha256();
        try (InputStream in = Files.newInputStream(path)) {
            byte[] buffer = new byte[64 << 10];
            for (int read; (read = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, read);
            }
            return sha.digest();
        } catch (IOException e) {
            throw ChatException.local(ErrorCode.BAD_REQUEST, "cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // a leftover hidden .part file; nothing the user asked for is affected
        }
    }
}
