package dev.fastchat.storage;

import java.time.Instant;

/** A current member of a group, with their public keys. */
public record GroupMember(long accountId, String name, MemberRole role, Instant joinedAt, IdentityKeys identity) {}
