package dev.fastchat.crypto;

/**
 * Argon2id cost parameters for the client-side password KDF.
 *
 * @param memoryKib memory in KiB
 * @param iterations passes over memory
 * @param parallelism lanes
 */
public record KdfParams(int memoryKib, int iterations, int parallelism) {
    /** The default for new accounts: OWASP's Argon2id minimum (19 MiB, t=2, p=1). */
    public static final KdfParams DEFAULT = new KdfParams(19 * 1024, 2, 1);

    /**
     * Cheap parameters for tests and load runs only; a server accepts them only when configured to
     * (its {@code min-kdf-memory-kib}). Never use for a real account.
     */
    public static final KdfParams INSECURE_FOR_TESTS = new KdfParams(64, 1, 1);

    /**
     * The most a client spends on one log-in (1 GiB, t=10): a server that asks for more is refused, so it
     * cannot make a client's machine stall or run out of memory.
     */
    public static final KdfParams CEILING = new KdfParams(1024 * 1024, 10, 16);

    public KdfParams {
        if (parallelism < 1 || parallelism > 16) {
            throw new IllegalArgumentException("parallelism must be 1..16, got " + parallelism);
        }
        if (iterations < 1 || iterations > 64) {
            throw new IllegalArgumentException("iterations must be 1..64, got " + iterations);
        }
        if (memoryKib < 8 * parallelism || memoryKib > 4 * 1024 * 1024) {
            throw new IllegalArgumentException("memoryKib must be 8*parallelism..4 GiB, got " + memoryKib);
        }
    }

    /** Whether every cost is at least {@code floor}'s and at most {@code ceiling}'s. */
    public boolean within(KdfParams floor, KdfParams ceiling) {
        return memoryKib >= floor.memoryKib && iterations >= floor.iterations && parallelism >= floor.parallelism
                && memoryKib <= ceiling.memoryKib && iterations <= ceiling.iterations && parallelism <= ceiling.parallelism;
    }

    /** The lower of each cost: the floor a client keeps when it is told to register with cheaper ones. */
    public KdfParams lowest(KdfParams other) {
        return new KdfParams(Math.min(memoryKib, other.memoryKib), Math.min(iterations, other.iterations),
                Math.min(parallelism, other.parallelism));
    }

    @Override
    public String toString() {
        return "Argon2id m=" + memoryKib + " KiB, t=" + iterations + ", p=" + parallelism;
    }
}
