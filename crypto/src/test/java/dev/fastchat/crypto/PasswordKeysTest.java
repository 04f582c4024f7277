package dev.fastchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.junit.jupiter.api.Test;

class PasswordKeysTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void hkdfMatchesRfc5869TestCase1() {
        byte[] okm = Hkdf.sha256(
                HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
                HEX.parseHex("000102030405060708090a0b0c"),
                HEX.parseHex("f0f1f2f3f4f5f6f7f8f9"),
                42);
        assertThat(HEX.formatHex(okm)).isEqualTo(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    }

    @Test
    void hkdfMatchesRfc5869TestCase3WithEmptySaltAndInfo() {
        byte[] okm = Hkdf.sha256(HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), new byte[0], new byte[0], 42);
        assertThat(HEX.formatHex(okm)).isEqualTo(
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    }

    @Test
    void argon2idMatchesRfc9106TestVector() {
        // RFC 9106 section 5.3: the primitive our KDF is built on.
        Argon2Parameters parameters = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(32).withIterations(3).withParallelism(4)
                .withSalt(HEX.parseHex("02".repeat(16)))
                .withSecret(HEX.parseHex("03".repeat(8)))
                .withAdditional(HEX.parseHex("04".repeat(12)))
                .build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(parameters);
        byte[] tag = new byte[32];
        generator.generateBytes(HEX.parseHex("01".repeat(32)), tag);
        assertThat(HEX.formatHex(tag)).isEqualTo("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
    }

    @Test
    void derivationIsDeterministicAndSplitsIntoIndependentKeys() {
        PasswordKeys a = PasswordKeys.derive("correct horse".toCharArray(), "srv-1", "alice", KdfParams.INSECURE_FOR_TESTS);
        PasswordKeys b = PasswordKeys.derive("correct horse".toCharArray(), "srv-1", "alice", KdfParams.INSECURE_FOR_TESTS);
        assertThat(a.authKey()).hasSize(32).isEqualTo(b.authKey());
        assertThat(a.backupKey()).hasSize(32).isEqualTo(b.backupKey());
        assertThat(a.authKey()).isNotEqualTo(a.backupKey());
        assertThat(a.toString()).doesNotContain(HEX.formatHex(a.authKey()));
    }

    @Test
    void passwordUserServerAndCostEachChangeTheKeys() {
        byte[] base = PasswordKeys.derive("pw".toCharArray(), "srv-1", "alice", KdfParams.INSECURE_FOR_TESTS).authKey();
        assertThat(PasswordKeys.derive("pW".toCharArray(), "srv-1", "alice", KdfParams.INSECURE_FOR_TESTS).authKey()).isNotEqualTo(base);
        assertThat(PasswordKeys.derive("pw".toCharArray(), "srv-2", "alice", KdfParams.INSECURE_FOR_TESTS).authKey()).isNotEqualTo(base);
        assertThat(PasswordKeys.derive("pw".toCharArray(), "srv-1", "alicf", KdfParams.INSECURE_FOR_TESTS).authKey()).isNotEqualTo(base);
        assertThat(PasswordKeys.derive("pw".toCharArray(), "srv-1", "alice", new KdfParams(128, 1, 1)).authKey()).isNotEqualTo(base);
    }

    @Test
    void saltSeparatesServerIdFromUsername() {
        // "ab" + "cde" and "abc" + "de" must not collide.
        assertThat(PasswordKeys.salt("ab", "cde")).isNotEqualTo(PasswordKeys.salt("abc", "de"));
        assertThat(new String(PasswordKeys.salt("s", "u"), StandardCharsets.UTF_8)).isEqualTo("s\0u");
    }
}
