package dev.fastchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class KeyBackupTest {
    private final SecureRandom random = new SecureRandom();
    private final IdentityKeyPair identity = IdentityKeyPair.generate(random);
    private final byte[] key = PasswordKeys.derive("pw".toCharArray(), "s", "alice", KdfParams.INSECURE_FOR_TESTS).backupKey();

    @Test
    void sealedBackupOpensToTheSameIdentity() {
        byte[] sealed = KeyBackup.seal(identity, key, "alice", random);
        assertThat(sealed).hasSize(KeyBackup.SEALED_LENGTH);
        IdentityKeyPair restored = KeyBackup.open(sealed, key, "alice");
        assertThat(restored).isEqualTo(identity);
        assertThat(restored.publicIdentity()).isEqualTo(identity.publicIdentity());
    }

    @Test
    void sealingTwiceGivesDifferentCiphertexts() {
        assertThat(KeyBackup.seal(identity, key, "alice", random)).isNotEqualTo(KeyBackup.seal(identity, key, "alice", random));
    }

    @Test
    void wrongPasswordFailsClearly() {
        byte[] sealed = KeyBackup.seal(identity, key, "alice", random);
        byte[] wrong = PasswordKeys.derive("pW".toCharArray(), "s", "alice", KdfParams.INSECURE_FOR_TESTS).backupKey();
        assertThatThrownBy(() -> KeyBackup.open(sealed, wrong, "alice"))
                .isInstanceOf(CryptoException.class).hasMessageContaining("does not open");
    }

    @Test
    void backupOfAnotherAccountDoesNotOpen() {
        byte[] sealed = KeyBackup.seal(identity, key, "alice", random);
        assertThatThrownBy(() -> KeyBackup.open(sealed, key, "mallory")).isInstanceOf(CryptoException.class);
    }

    @Test
    void everyTamperedByteIsDetected() {
        byte[] sealed = KeyBackup.seal(identity, key, "alice", random);
        for (int i = 0; i < sealed.length; i++) {
            byte[] tampered = sealed.clone();
            tampered[i] ^= 0x01;
            assertThatThrownBy(() -> KeyBackup.open(tampered, key, "alice")).isInstanceOf(CryptoException.class);
        }
        assertThatThrownBy(() -> KeyBackup.open(new byte[5], key, "alice")).isInstanceOf(CryptoException.class);
    }

    @Test
    void identitiesAreDistinctAndPublicKeysHave32Bytes() {
        IdentityKeyPair other = IdentityKeyPair.generate(random);
        assertThat(other).isNotEqualTo(identity);
        assertThat(identity.publicIdentity().x25519()).hasSize(32);
        assertThat(identity.publicIdentity().ed25519()).hasSize(32);
        assertThat(IdentityKeyPair.fromPrivateKeys(identity.x25519Private(), identity.ed25519Private())).isEqualTo(identity);
    }
}
