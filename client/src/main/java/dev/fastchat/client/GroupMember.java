package dev.fastchat.client;

import java.time.Instant;

/** A member of a group. */
public record GroupMember(long accountId, String name, boolean admin, Instant joinedAt, boolean online) {}
