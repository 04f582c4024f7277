package dev.fastchat.client;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Self-signed PEM certificates for TLS tests. */
final class TestCertificates {
    /** Where the PEM files were written. */
    record Pem(Path certificate, Path privateKey) {}

    private TestCertificates() {}

    /** A self-signed EC certificate whose subject alternative names are {@code names} (IPs or DNS names). */
    static Pem selfSigned(Path dir, String label, String... names) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair pair = generator.generateKeyPair();
        X500Name subject = new X500Name("CN=" + label);
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject, pair.getPublic());
        GeneralName[] alternatives = new GeneralName[names.length];
        for (int i = 0; i < names.length; i++) {
            boolean ip = names[i].matches("[0-9.]+") || names[i].contains(":");
            alternatives[i] = new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, names[i]);
        }
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alternatives));
        X509CertificateHolder certificate = builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
        Path cert = dir.resolve(label + ".crt");
        Path key = dir.resolve(label + ".key");
        Files.writeString(cert, pem("CERTIFICATE", certificate.getEncoded()));
        Files.writeString(key, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        return new Pem(cert, key);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
