package dev.fastchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class FileCipherTest {
    private final SecureRandom random = new SecureRandom();
    private final byte[] key = FileCipher.newKey(random);
    private final byte[] chunk = "chunk zero of the file".getBytes(StandardCharsets.UTF_8);

    @Test
    void aChunkOpensOnlyAtItsPlaceInItsFileUnderItsKey() {
        byte[] sealed = FileCipher.encrypt(key, "f1", 0, 3, chunk, chunk.length);
        assertThat(sealed).hasSize(chunk.length + FileCipher.OVERHEAD);
        assertThat(FileCipher.decrypt(key, "f1", 0, 3, sealed)).isEqualTo(chunk);

        assertTampered(() -> FileCipher.decrypt(key, "f1", 1, 3, sealed)); // moved
        assertTampered(() -> FileCipher.decrypt(key, "f2", 0, 3, sealed)); // taken from another file
        assertTampered(() -> FileCipher.decrypt(key, "f1", 0, 2, sealed)); // the file cut short
        assertTampered(() -> FileCipher.decrypt(FileCipher.newKey(random), "f1", 0, 3, sealed));
        for (int i = 0; i < sealed.length; i++) {
            byte[] altered = sealed.clone();
            altered[i] ^= 0x40;
            assertTampered(() -> FileCipher.decrypt(key, "f1", 0, 3, altered));
        }
    }

    @Test
    void anEmptyChunkStillAuthenticates() {
        byte[] sealed = FileCipher.encrypt(key, "f1", 0, 1, new byte[0], 0);
        assertThat(FileCipher.decrypt(key, "f1", 0, 1, sealed)).isEmpty();
        assertTampered(() -> FileCipher.decrypt(key, "f9", 0, 1, sealed));
    }

    private static void assertTampered(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(OpenException.class,
                e -> assertThat(e.reason()).isEqualTo(OpenException.Reason.TAMPERED));
    }
}
