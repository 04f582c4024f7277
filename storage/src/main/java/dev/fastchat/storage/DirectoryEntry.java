package dev.fastchat.storage;

/**
 * A registered name.
 *
 * @param name the name
 * @param group whether it is a group's (else a user's)
 * @param accountId the user's account id, or 0 for a group
 */
public record DirectoryEntry(String name, boolean group, long accountId) {}
