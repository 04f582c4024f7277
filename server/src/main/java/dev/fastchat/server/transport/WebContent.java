package dev.fastchat.server.transport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

/**
 * The web client's files, read from the class path under {@code fastchat/web/} (the web module's jar puts them
 * there) and kept in memory once asked for, with a gzipped copy where that is smaller. Only paths of plain names
 * are looked up: no {@code ..}, no hidden files, nothing outside that folder.
 */
final class WebContent {
    static final String ROOT = "fastchat/web/";
    /** Vite names the files under assets/ by a hash of their content: they never change under one name. */
    private static final String IMMUTABLE_PREFIX = "assets/";
    private static final Pattern SAFE_PATH = Pattern.compile("([A-Za-z0-9_-][A-Za-z0-9_.-]*/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*");
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("json", "application/json"),
            Map.entry("webmanifest", "application/manifest+json"),
            Map.entry("wasm", "application/wasm"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("txt", "text/plain; charset=utf-8"),
            Map.entry("woff2", "font/woff2"));

    /**
     * A file of the web client.
     *
     * @param gzipped its gzip form, or null when that is not smaller
     * @param immutable whether its name changes with its content (cached for a year)
     */
    record Asset(byte[] bytes, byte[] gzipped, String contentType, String etag, boolean immutable) {}

    private final ClassLoader loader;
    private final ConcurrentHashMap<String, Asset> loaded = new ConcurrentHashMap<>();

    WebContent(ClassLoader loader) {
        this.loader = loader;
    }

    /** Whether this build carries the web client. */
    boolean available() {
        return loader.getResource(ROOT + "index.html") != null;
    }

    /**
     * The file at a request path ({@code /} is {@code /index.html}), if there is one.
     *
     * @param path the decoded path of the request, starting with {@code /}
     */
    Optional<Asset> find(String path) {
        String name = path.equals("/") ? "index.html" : path.substring(1);
        if (!SAFE_PATH.matcher(name).matches() || name.contains("..")) {
            return Optional.empty();
        }
        Asset cached = loaded.get(name);
        if (cached != null) {
            return Optional.of(cached);
        }
        try (InputStream in = loader.getResourceAsStream(ROOT + name)) {
            if (in == null) {
                return Optional.empty(); // not cached: a scan of made-up paths must not fill the memory
            }
            Asset asset = asset(name, in.readAllBytes());
            loaded.putIfAbsent(name, asset);
            return Optional.of(asset);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + ROOT + name + " from the class path", e);
        }
    }

    private static Asset asset(String name, byte[] bytes) throws IOException {
        String extension = name.substring(name.lastIndexOf('.') + 1);
        String type = TYPES.getOrDefault(extension, "application/octet-stream");
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 3 + 64);
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(bytes);
        }
        byte[] gzipped = out.size() < bytes.length * 9L / 10 ? out.toByteArray() : null;
        return new Asset(bytes, gzipped, type, '"' + sha256(bytes) + '"', name.startsWith(IMMUTABLE_PREFIX));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
