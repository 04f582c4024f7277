package dev.fastchat.server.config;

/**
 * Messaging limits.
 *
 * @param sendRate messages per second one user may send (sustained, across their sessions on a node)
 * @param sendBurst messages one user may send at once before the rate applies
 * @param maxGroupMembers most members of one group
 */
public record MessagingConfig(int sendRate, int sendBurst, int maxGroupMembers) {}
