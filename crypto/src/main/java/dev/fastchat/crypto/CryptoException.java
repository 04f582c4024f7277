package dev.fastchat.crypto;

/** A cryptographic operation failed: wrong key, tampered data, or malformed input. */
public class CryptoException extends RuntimeException {
    public CryptoException(String message) {
        super(message);
    }

    public CryptoException(String message, Throwable cause) {
        super(message, cause);
    }
}
