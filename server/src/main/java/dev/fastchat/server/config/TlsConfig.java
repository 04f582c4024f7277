package dev.fastchat.server.config;

import java.nio.file.Path;

/**
 * TLS on the client port.
 *
 * @param certificateChain PEM certificate chain
 * @param privateKey PEM private key (PKCS#8)
 */
public record TlsConfig(Path certificateChain, Path privateKey) {}
