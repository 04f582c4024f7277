package dev.fastchat.server.config;

import java.time.Duration;
import java.util.Optional;

/**
 * How this node works with others.
 *
 * @param natsUrl the NATS server of the cluster; empty for a single node (the in-process bus)
 * @param name the cluster's name: the prefix of its NATS subjects and key-value buckets
 * @param advertise where clients reach this node (given to clients redirected here); empty: the listen address
 * @param balance which node new clients are sent to
 * @param nodeTimeout a node that has not renewed its registry entry for this long is taken for dead
 * @param adminListen the HTTP address of /health, /ready and /metrics; empty: off
 */
public record ClusterConfig(Optional<String> natsUrl, String name, Optional<HostAndPort> advertise, BalancePolicy balance,
                            Duration nodeTimeout, Optional<HostAndPort> adminListen) {

    /** Where new clients go. */
    public enum BalancePolicy {
        /** Every node serves whoever connects to it. */
        NONE,
        /** The live node with the fewest sessions. */
        LEAST_LOADED,
        /** A live node picked at random. */
        RANDOM,
        /** The live nodes in turn, by a counter the cluster shares. */
        ROUND_ROBIN;

        /** The setting's spelling: {@code least-loaded}. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** Whether this node is part of a NATS cluster. */
    public boolean clustered() {
        return natsUrl.isPresent();
    }
}
