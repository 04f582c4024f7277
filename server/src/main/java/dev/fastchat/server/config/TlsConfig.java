package dev.fastchat.server.config;

import java.nio.file.Path;

/**
 * TLS on the client port.
 *
 * @param certificateChain PEM certificate chain
 * @param privateKey PEM private key (PKCS#8)
 * @param selfSigned whether these are the server's own self-signed files, made on first start when missing
 */
public record TlsConfig(Path certificateChain, Path privateKey, boolean selfSigned) {}
