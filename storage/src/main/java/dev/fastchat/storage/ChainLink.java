package dev.fastchat.storage;

/**
 * A signed membership statement to store with the change it states, in the same transaction: it must be the
 * next of its group's chain ({@code index} the chain's length, {@code previous} the SHA-256 of the last
 * statement's bytes, {@code chainId} the group's), else the change fails with {@code CHAIN_CONFLICT}.
 * The storage does not read the statement: the service checked what it says and who signed it.
 */
public record ChainLink(byte[] chainId, long index, byte[] previous, byte[] statement) {
    /** No statement: the change is stored alone (for callers below the protocol, such as storage tests). */
    public static final ChainLink NONE = new ChainLink(new byte[0], -1, new byte[0], new byte[0]);

    public boolean present() {
        return statement.length > 0;
    }
}
