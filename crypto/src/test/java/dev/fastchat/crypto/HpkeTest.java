package dev.fastchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.hpke.HPKEContext;
import org.bouncycastle.crypto.hpke.HPKEContextWithEncapsulation;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;
import org.junit.jupiter.api.Test;

/** RFC 9180 appendix A.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode. */
class HpkeTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] INFO = hex("4f6465206f6e2061204772656369616e2055726e");
    private static final byte[] IKM_E = hex("7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234");
    private static final String PK_EM = "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431";
    private static final String SK_EM = "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736";
    private static final byte[] IKM_R = hex("6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037");
    private static final String PK_RM = "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d";
    private static final String SK_RM = "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8";
    private static final String ENC = "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431";
    private static final byte[] PT = hex("4265617574792069732074727574682c20747275746820626561757479");
    /** seq, aad, ciphertext. */
    private static final String[][] ENCRYPTIONS = {
            {"0", "436f756e742d30", "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a"},
            {"1", "436f756e742d31", "af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab251c03d0c22a56b8ca42c2063b84"},
            {"2", "436f756e742d32", "498dfcabd92e8acedc281e85af1cb4e3e31c7dc394a1ca20e173cb72516491588d96a19ad4a683518973dcc180"},
            {"4", "436f756e742d34", "583bd32bc67a5994bb8ceaca813d369bca7b2a42408cddef5e22f880b631215a09fc0012bc69fccaa251c0246d"},
            {"255", "436f756e742d323535", "7175db9717964058640a3a11fb9007941a5d1757fda1a6935c805c21af32505bf106deefec4a49ac38d71c9e0a"},
            {"256", "436f756e742d323536", "957f9800542b0b8891badb026d79cc54597cb2d225b54c00c5238c25d05c30e3fbeda97d2e0e1aba483a2df9f2"},
    };
    /** exporter context, exported value (32 bytes). */
    private static final String[][] EXPORTS = {
            {"", "3853fe2b4035195a573ffc53856e77058e15d9ea064de3e59f4961d0095250ee"},
            {"00", "2e8f0b54673c7029649d4eb9d5e33bf1872cf76d623ff164ac185da9e88c21a5"},
            {"54657374436f6e74657874", "e9e43065102c3836401bed8c3c3c75ae46be1639869391d62c61f1ec7af54931"},
    };

    @Test
    void deriveKeyPairMatchesTheRfcKeys() {
        AsymmetricCipherKeyPair ephemeral = Hpke.deriveKeyPair(IKM_E);
        AsymmetricCipherKeyPair recipient = Hpke.deriveKeyPair(IKM_R);
        assertThat(hex(((X25519PrivateKeyParameters) ephemeral.getPrivate()).getEncoded())).isEqualTo(SK_EM);
        assertThat(hex(((X25519PublicKeyParameters) ephemeral.getPublic()).getEncoded())).isEqualTo(PK_EM);
        assertThat(hex(((X25519PrivateKeyParameters) recipient.getPrivate()).getEncoded())).isEqualTo(SK_RM);
        assertThat(hex(((X25519PublicKeyParameters) recipient.getPublic()).getEncoded())).isEqualTo(PK_RM);
    }

    @Test
    void senderProducesTheRfcEncapsulationCiphertextsAndExports() throws Exception {
        HPKEContextWithEncapsulation sender = Hpke.senderContext(Hpke.deriveKeyPair(IKM_E), hex(PK_RM), INFO);
        assertThat(hex(sender.getEncapsulation())).isEqualTo(ENC);
        int seq = 0;
        for (String[] vector : ENCRYPTIONS) {
            int target = Integer.parseInt(vector[0]);
            while (seq < target) {
                sender.seal(new byte[0], new byte[0]); // advance the sequence number
                seq++;
            }
            assertThat(hex(sender.seal(hex(vector[1]), PT))).as("seq %d", target).isEqualTo(vector[2]);
            seq++;
        }
        for (String[] export : EXPORTS) {
            assertThat(hex(sender.export(hex(export[0]), 32))).isEqualTo(export[1]);
        }
    }

    @Test
    void receiverOpensTheRfcCiphertexts() throws Exception {
        HPKEContext receiver = Hpke.receiverContext(hex(ENC), Hpke.keyPair(hex(SK_RM)), INFO);
        int seq = 0;
        for (String[] vector : ENCRYPTIONS) {
            int target = Integer.parseInt(vector[0]);
            while (seq < target) {
                receiver.seal(new byte[0], new byte[0]); // the receiver's sequence advances the same way
                seq++;
            }
            assertThat(receiver.open(hex(vector[1]), hex(vector[2]))).as("seq %d", target).isEqualTo(PT);
            seq++;
        }
        for (String[] export : EXPORTS) {
            assertThat(hex(receiver.export(hex(export[0]), 32))).isEqualTo(export[1]);
        }
    }

    @Test
    void singleShotSealOpensOnlyWithTheRightKeyInfoAndAad() {
        AsymmetricCipherKeyPair recipient = Hpke.deriveKeyPair(IKM_R);
        byte[] message = "content key".getBytes(StandardCharsets.UTF_8);
        Hpke.Sealed sealed = Hpke.seal(hex(PK_RM), INFO, hex("01"), message);
        assertThat(sealed.enc()).hasSize(Hpke.ENC_BYTES);
        assertThat(Hpke.open(sealed.enc(), hex(SK_RM), INFO, hex("01"), sealed.ciphertext())).isEqualTo(message);
        assertThat(recipient).isNotNull();

        byte[] otherKey = hex(SK_EM);
        assertThatThrownBy(() -> Hpke.open(sealed.enc(), otherKey, INFO, hex("01"), sealed.ciphertext()))
                .isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> Hpke.open(sealed.enc(), hex(SK_RM), hex("00"), hex("01"), sealed.ciphertext()))
                .isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> Hpke.open(sealed.enc(), hex(SK_RM), INFO, hex("02"), sealed.ciphertext()))
                .isInstanceOf(CryptoException.class);
        byte[] flipped = sealed.ciphertext().clone();
        flipped[0] ^= 1;
        assertThatThrownBy(() -> Hpke.open(sealed.enc(), hex(SK_RM), INFO, hex("01"), flipped))
                .isInstanceOf(CryptoException.class);
    }

    private static byte[] hex(String s) {
        return HEX.parseHex(s);
    }

    private static String hex(byte[] b) {
        return HEX.formatHex(b);
    }
}
