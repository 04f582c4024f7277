package dev.fastchat.app;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Defaults of the client options, so that scripts and people need not repeat them: from the environment
 * ({@code FASTCHAT_SERVER}, {@code FASTCHAT_USER}, {@code FASTCHAT_TLS}, {@code FASTCHAT_SERVER_CERT},
 * {@code FASTCHAT_INSECURE_PLAINTEXT}, {@code FASTCHAT_KEYS}, {@code FASTCHAT_NO_READ_RECEIPTS}), else from the client
 * config file (keys {@code server}, {@code user}, {@code tls}, {@code server-cert}, {@code insecure-plaintext},
 * {@code keys}, {@code no-read-receipts}), else built in. Options given on the command line win over both.
 *
 * <p>The file is {@code $XDG_CONFIG_HOME/fastchat/client.properties} (by default
 * {@code ~/.config/fastchat/client.properties}), or the one {@code FASTCHAT_CLIENT_CONFIG} names.
 */
final class ClientDefaults implements IDefaultValueProvider {
    private static final java.util.Set<String> KEYS = java.util.Set.of("server", "user", "tls", "server-cert", "insecure-plaintext", "keys",
            "no-read-receipts");

    private final Map<String, String> environment;
    private final Path file;
    private Properties properties;

    ClientDefaults(Map<String, String> environment) {
        this.environment = environment;
        this.file = file(environment);
    }

    /** Where the client config file is (it need not exist). */
    static Path file(Map<String, String> environment) {
        String named = environment.get("FASTCHAT_CLIENT_CONFIG");
        if (named != null && !named.isBlank()) {
            return Path.of(named);
        }
        String xdg = environment.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return base.resolve("fastchat").resolve("client.properties");
    }

    @Override
    public String defaultValue(ArgSpec argument) {
        if (!(argument instanceof OptionSpec option) || !option.longestName().startsWith("--")) {
            return null;
        }
        String key = option.longestName().substring(2);
        if (!KEYS.contains(key)) {
            return null;
        }
        String fromEnvironment = environment.get("FASTCHAT_" + key.toUpperCase(Locale.ROOT).replace('-', '_'));
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return fromEnvironment;
        }
        String fromFile = properties().getProperty(key);
        return fromFile == null || fromFile.isBlank() ? null : fromFile.strip();
    }

    private synchronized Properties properties() {
        if (properties == null) {
            properties = new Properties();
            if (Files.isRegularFile(file)) {
                try (Reader reader = Files.newBufferedReader(file)) {
                    properties.load(reader);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the client config " + file, e);
                }
                for (String key : properties.stringPropertyNames()) {
                    if (!KEYS.contains(key)) {
                        throw new IllegalArgumentException("unknown key '" + key + "' in " + file + " (known: "
                                + String.join(", ", new java.util.TreeSet<>(KEYS)) + ")");
                    }
                }
            }
        }
        return properties;
    }
}
