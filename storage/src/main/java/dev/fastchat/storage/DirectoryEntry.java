package dev.fastchat.storage;

/** A registered name: a user (with account id) or a group. */
public record DirectoryEntry(String name, boolean group) {}
