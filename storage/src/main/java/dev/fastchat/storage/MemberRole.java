package dev.fastchat.storage;

/** A member's role in a group. Direct conversations have two plain members. */
public enum MemberRole {
    MEMBER,
    ADMIN
}
