package dev.fastchat.app.loadgen;

import java.util.Locale;

/**
 * Who sends to whom. The first three are the origin design's load patterns; {@code group} is fan-out,
 * {@code login-storm} is log-ins at the rate instead of messages, {@code mixed} is a day's blend.
 */
public enum Pattern {
    /** Odd-numbered clients send to the even-numbered client before them (1 to 0, 3 to 2, ...). */
    ODD_EVEN,
    /** Everyone sends to another client of their own half (the first half among themselves, and the second). */
    SAME_HALF,
    /** Everyone else sends to one of the first three clients, in turn: three hot recipients. */
    TO_FIRST_THREE,
    /** Members of one group of {@code --group-size} take turns sending to it: fan-out. */
    GROUP,
    /** Clients log out and in again at the rate (Argon2id on the client, session writes on the server). */
    LOGIN_STORM,
    /** Seven in ten odd-even direct messages, two in ten group messages, one in ten to the first three. */
    MIXED;

    /** The option's spelling: {@code odd-even}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Pattern parse(String text) {
        for (Pattern pattern : values()) {
            if (pattern.label().equals(text)) {
                return pattern;
            }
        }
        throw new IllegalArgumentException("unknown pattern '" + text + "': use odd-even, same-half, to-first-three, group,"
                + " login-storm or mixed");
    }

    /** Whether the pattern needs the group. */
    public boolean usesGroup() {
        return this == GROUP || this == MIXED;
    }

    /** One scheduled message: who sends, to whom (a client index, or -1 for the group). */
    public record Step(int sender, int recipient) {
        public boolean toGroup() {
            return recipient < 0;
        }
    }

    /** The {@code k}-th message of a run with {@code clients} clients and a group of the first {@code groupSize}. */
    public Step step(long k, int clients, int groupSize) {
        return switch (this) {
            case ODD_EVEN, LOGIN_STORM -> {
                int pairs = clients / 2;
                int pair = (int) (k % pairs);
                yield new Step(2 * pair + 1, 2 * pair);
            }
            case SAME_HALF -> {
                int half = clients / 2;
                int sender = (int) (k % clients);
                int base = sender < half ? 0 : half;
                int size = sender < half ? half : clients - half;
                int offset = 1 + (int) Math.floorMod(mix(k), (long) (size - 1));
                yield new Step(sender, base + (sender - base + offset) % size);
            }
            case TO_FIRST_THREE -> new Step(3 + (int) (k % (clients - 3)), (int) (k % 3));
            case GROUP -> new Step((int) (k % groupSize), -1);
            case MIXED -> {
                int slot = (int) (k % 10);
                yield slot < 7 ? ODD_EVEN.step(k, clients, groupSize)
                        : slot < 9 ? GROUP.step(k, clients, groupSize) : TO_FIRST_THREE.step(k, clients, groupSize);
            }
        };
    }

    /** The smallest client count the pattern works with. */
    public int minimumClients() {
        return switch (this) {
            case TO_FIRST_THREE -> 4;
            case SAME_HALF -> 4;
            default -> 2;
        };
    }

    /** A cheap, well-spread hash of k (the same run makes the same choices). */
    private static long mix(long k) {
        long z = k * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 31);
    }
}
