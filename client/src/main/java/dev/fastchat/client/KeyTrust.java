package dev.fastchat.client;

/** How far a sender's identity key is trusted on this machine. */
public enum KeyTrust {
    /** The key is the one pinned when this user was first seen (or accepted since). */
    PINNED,
    /** The key is the pinned one, and the user compared its safety number with the contact's (out of band). */
    VERIFIED,
    /** First contact: the key was pinned just now (trust on first use). */
    FIRST_USE,
    /**
     * The server now hands out another key than the pinned one. The message verified with the new key, but
     * it may come from someone else: compare safety numbers, then accept the key.
     */
    KEY_CHANGED
}
