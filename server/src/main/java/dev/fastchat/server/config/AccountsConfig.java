package dev.fastchat.server.config;

import java.time.Duration;

/**
 * Accounts and log-in.
 *
 * @param tokenTtl how long a resume token stays valid
 * @param minKdfMemoryKib weakest Argon2id memory a client may register with
 * @param minKdfIterations weakest Argon2id iteration count a client may register with
 * @param maxFailuresPerAccount failed log-ins of one account per window before RATE_LIMITED
 * @param maxFailuresPerAddress failed log-ins from one address per window before RATE_LIMITED
 * @param failureWindow the throttling window
 */
public record AccountsConfig(Duration tokenTtl, int minKdfMemoryKib, int minKdfIterations,
                             int maxFailuresPerAccount, int maxFailuresPerAddress, Duration failureWindow) {}
