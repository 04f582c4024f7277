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
}
