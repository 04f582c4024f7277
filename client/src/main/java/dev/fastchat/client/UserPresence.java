package dev.fastchat.client;

/** Whether a user is online. */
public record UserPresence(long accountId, String name, boolean online) {}
