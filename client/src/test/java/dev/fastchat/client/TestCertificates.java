package dev.fastchat.client;

import dev.fastchat.server.transport.SelfSignedCertificate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Self-signed PEM certificates for TLS tests. */
final class TestCertificates {
    /** Where the PEM files were written. */
    record Pem(Path certificate, Path privateKey) {}

    private TestCertificates() {}

    /** A self-signed EC certificate whose subject alternative names are {@code names} (IPs or DNS names). */
    static Pem selfSigned(Path dir, String label, String... names) throws Exception {
        Path cert = dir.resolve(label + ".crt");
        Path key = dir.resolve(label + ".key");
        SelfSignedCertificate.write(cert, key, label, List.of(names), Duration.ofDays(1));
        return new Pem(cert, key);
    }
}
