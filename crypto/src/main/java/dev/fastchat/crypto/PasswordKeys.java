package dev.fastchat.crypto;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * The two keys a client derives from a password (DESIGN.md section 5):
 * {@code master = Argon2id(password, salt = server_id || 0x00 || username)}, then
 * {@code authKey = HKDF(master, "fastchat auth")}, which is sent to the server to log in, and
 * {@code backupKey = HKDF(master, "fastchat backup")}, which never leaves the client and seals the
 * identity key backup. Knowing the auth key does not reveal the backup key.
 *
 * @param authKey 32 bytes sent to the server
 * @param backupKey 32 bytes that stay on the client
 */
public record PasswordKeys(byte[] authKey, byte[] backupKey) {
    private static final byte[] AUTH_INFO = "fastchat auth".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BACKUP_INFO = "fastchat backup".getBytes(StandardCharsets.US_ASCII);

    /** Derives both keys. Costs what {@code params} say (about 50 ms at the defaults); never call on an event loop. */
    public static PasswordKeys derive(char[] password, String serverId, String username, KdfParams params) {
        byte[] master = argon2id(password, salt(serverId, username), params);
        try {
            return new PasswordKeys(
                    Hkdf.sha256(master, new byte[0], AUTH_INFO, 32),
                    Hkdf.sha256(master, new byte[0], BACKUP_INFO, 32));
        } finally {
            Arrays.fill(master, (byte) 0);
        }
    }

    static byte[] salt(String serverId, String username) {
        ByteArrayOutputStream salt = new ByteArrayOutputStream();
        salt.writeBytes(serverId.getBytes(StandardCharsets.UTF_8));
        salt.write(0);
        salt.writeBytes(username.getBytes(StandardCharsets.UTF_8));
        return salt.toByteArray();
    }

    static byte[] argon2id(char[] password, byte[] salt, KdfParams params) {
        Argon2Parameters parameters = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(params.memoryKib())
                .withIterations(params.iterations())
                .withParallelism(params.parallelism())
                .withSalt(salt)
                .build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(parameters);
        byte[] out = new byte[32];
        generator.generateBytes(password, out);
        return out;
    }

    /** Overwrites both keys in memory. */
    public void destroy() {
        Arrays.fill(authKey, (byte) 0);
        Arrays.fill(backupKey, (byte) 0);
    }

    @Override
    public String toString() {
        return "PasswordKeys[redacted]";
    }
}
