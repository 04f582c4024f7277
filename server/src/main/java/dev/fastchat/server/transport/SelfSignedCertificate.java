package dev.fastchat.server.transport;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A self-signed certificate (ECDSA P-256) in PEM files: what a server serves TLS with when it was given no
 * certificate. Clients pin it on first connection, as SSH clients pin host keys; it is valid for 20 years,
 * since nothing but the pin vouches for it. Its names are {@code localhost}, the loopback addresses, this
 * machine's host name and any the caller adds (so browsers and name-checking clients can be told to trust it).
 */
public final class SelfSignedCertificate {
    private static final Duration VALIDITY = Duration.ofDays(20 * 365);

    private SelfSignedCertificate() {}

    /**
     * Writes a new certificate and its private key (PKCS#8) unless {@code certificate} exists already.
     *
     * @return whether it made them
     */
    public static boolean ensure(Path certificate, Path privateKey, List<String> extraNames) throws IOException {
        if (Files.exists(certificate) && Files.exists(privateKey)) {
            return false;
        }
        write(certificate, privateKey, "fastchat server", names(extraNames), VALIDITY);
        return true;
    }

    /** Writes a self-signed certificate for {@code names} (host names or IP addresses), valid for {@code validity}. */
    public static void write(Path certificate, Path privateKey, String commonName, List<String> names, Duration validity)
            throws IOException {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(256, new SecureRandom());
            KeyPair pair = generator.generateKeyPair();
            X500Name subject = new X500Name("CN=" + commonName);
            Instant now = Instant.now();
            BigInteger serial = new BigInteger(64, new SecureRandom());
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial,
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity)), subject, pair.getPublic());
            List<GeneralName> alternatives = new ArrayList<>();
            for (String name : names) {
                boolean ip = name.matches("[0-9.]+") || name.contains(":");
                alternatives.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, name));
            }
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alternatives.toArray(GeneralName[]::new)));
            X509CertificateHolder holder = builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
            Files.createDirectories(privateKey.toAbsolutePath().getParent());
            writePem(privateKey, "PRIVATE KEY", pair.getPrivate().getEncoded(), true);
            Files.createDirectories(certificate.toAbsolutePath().getParent());
            writePem(certificate, "CERTIFICATE", holder.getEncoded(), false);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot make a self-signed certificate: " + e.getMessage(), e);
        }
    }

    private static List<String> names(List<String> extra) {
        Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
        try {
            names.add(InetAddress.getLocalHost().getHostName());
        } catch (IOException e) {
            // no host name: the loopback names only
        }
        names.addAll(extra);
        names.removeIf(name -> name.isBlank() || name.equals("0.0.0.0") || name.equals("::"));
        return List.copyOf(names);
    }

    private static void writePem(Path file, String type, byte[] der, boolean secret) throws IOException {
        String pem = "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
        Path temporary = Files.createTempFile(file.toAbsolutePath().getParent(), ".tls", ".tmp");
        if (secret && Files.getFileAttributeView(temporary, PosixFileAttributeView.class) != null) {
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
        }
        Files.writeString(temporary, pem, StandardCharsets.US_ASCII);
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
