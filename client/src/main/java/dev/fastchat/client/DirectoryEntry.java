package dev.fastchat.client;

/**
 * A registered user or group.
 *
 * @param online for users: whether they are online now
 */
public record DirectoryEntry(String name, boolean group, boolean online) {}
