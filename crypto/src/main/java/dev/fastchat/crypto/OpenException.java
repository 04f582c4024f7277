package dev.fastchat.crypto;

/** A sealed message could not be opened; {@link #reason()} says why. Nothing of it may be shown. */
public final class OpenException extends CryptoException {
    /** Why a sealed message was refused. */
    public enum Reason {
        /** Not a sealed message of a version this client reads, or a field is out of range. */
        MALFORMED,
        /** The header names another conversation than the one the server delivered it in (a replay). */
        WRONG_CONVERSATION,
        /** The same message (sender and client message id) was shown before at another place (a replay). */
        REPLAYED,
        /** The header names another sender than the one the server delivered it from (a forgery). */
        WRONG_SENDER,
        /** The signature does not verify with the sender's key. */
        BAD_SIGNATURE,
        /** This user is not among the recipients. */
        NOT_A_RECIPIENT,
        /** The content key or the body does not decrypt: a byte was altered. */
        TAMPERED,
        /** The content is larger than any client may send. */
        TOO_LARGE,
        /** A message of a sender chain this user holds no key of (not announced to it, or not fetched yet). */
        UNKNOWN_CHAIN
    }

    private final Reason reason;

    public OpenException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public OpenException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
