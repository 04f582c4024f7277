package dev.fastchat.server.config;

import java.time.Duration;

/**
 * Messaging and file limits.
 *
 * @param sendRate messages per second one user may send (sustained, across their sessions on a node)
 * @param sendBurst messages one user may send at once before the rate applies
 * @param maxGroupMembers most members of one group
 * @param maxFileBytes largest file (plaintext bytes)
 * @param fileChunkBytes plaintext bytes per upload chunk
 * @param uploadTimeout how long an unfinished upload may sit idle before it is removed (and a finished one that no
 *     message shares)
 * @param maxStorageBytesPerAccount the most file bytes one account may have stored
 * @param groupCreationsPerMinute groups one account may create per minute
 * @param memberAdditionsPerMinute members one account may add to groups per minute
 * @param noticeRate short-lived notices (typing) per second one user may send
 * @param noticeBurst notices one user may send at once before the rate applies
 */
public record MessagingConfig(int sendRate, int sendBurst, int maxGroupMembers, long maxFileBytes, int fileChunkBytes,
                              Duration uploadTimeout, long maxStorageBytesPerAccount, int groupCreationsPerMinute,
                              int memberAdditionsPerMinute, int noticeRate, int noticeBurst) {}
