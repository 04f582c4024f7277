package dev.fastchat.storage;

/**
 * A write broke a rule of conversations and was not applied (its transaction was rolled back).
 */
public final class ConversationRefusedException extends RuntimeException {
    /** Which rule. */
    public enum Reason {
        /** The user is not (or no longer) a member of the conversation. */
        NOT_A_MEMBER,
        /** The change needs the admin role. */
        NOT_ADMIN,
        /** The recipients of a group message are not exactly the current members. */
        MEMBERS_CHANGED,
        /** A client message id was used before for a different message. */
        MESSAGE_ID_REUSED,
        /** The other account of a direct conversation does not exist. */
        UNKNOWN_USER,
        /** No such group. */
        UNKNOWN_GROUP,
        /** The group already has the most members a group may have. */
        GROUP_FULL,
        /** No such file, or it is someone else's upload. */
        UNKNOWN_FILE,
        /** A chunk other than the next one expected, or an upload finished before all chunks arrived. */
        OUT_OF_ORDER,
        /** A file over the size limit. */
        TOO_LARGE,
        /** The uploader's files would take more than their storage quota. */
        QUOTA_EXCEEDED,
        /** The other user has blocked this one (no direct messages, no group additions). */
        BLOCKED,
        /** Accepting or declining an invitation the user does not have. */
        NOT_INVITED,
        /** A membership statement that is not the next of its group's chain (another change came first). */
        CHAIN_CONFLICT,
        /** The last admin of a group with other members leaves without promoting one first (signed groups). */
        LAST_ADMIN,
        /** Deleting a message someone else sent (or one that does not exist). */
        NOT_AUTHOR
    }

    private final Reason reason;

    public ConversationRefusedException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
