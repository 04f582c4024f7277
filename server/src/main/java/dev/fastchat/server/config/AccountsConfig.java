package dev.fastchat.server.config;

import java.time.Duration;

/**
 * Accounts and log-in.
 *
 * @param tokenTtl how long a resume token stays valid
 * @param minKdfMemoryKib weakest Argon2id memory a client may register with
 * @param minKdfIterations weakest Argon2id iteration count a client may register with
 * @param loginDelayFirst the wait after a first wrong password of an account from an address (it doubles per failure)
 * @param loginDelayMax the longest such wait
 * @param loginFailureRatePerAddress wrong passwords per second one address may make, in the long run
 * @param loginFailureBurstPerAddress wrong passwords one address may make at once
 * @param loginFailureRatePerAccount wrong passwords per second against one account (from addresses that failed on it)
 * @param loginFailureBurstPerAccount wrong passwords against one account at once
 * @param registrationsPerAddressPerHour accounts one address may register per hour
 * @param exemptAddresses addresses the registration limit does not apply to
 */
public record AccountsConfig(Duration tokenTtl, int minKdfMemoryKib, int minKdfIterations,
                             Duration loginDelayFirst, Duration loginDelayMax, double loginFailureRatePerAddress,
                             int loginFailureBurstPerAddress, double loginFailureRatePerAccount, int loginFailureBurstPerAccount,
                             int registrationsPerAddressPerHour, java.util.Set<String> exemptAddresses) {}
