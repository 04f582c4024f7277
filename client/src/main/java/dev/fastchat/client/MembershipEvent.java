package dev.fastchat.client;

/**
 * A change in a group this user belongs (or belonged) to.
 *
 * @param group the group after the change
 * @param change what happened: created, invited (not a member until they accept), added (accepted an
 *     invitation), declined, removed, left or promoted
 * @param user whom it concerns
 * @param by who did it
 */
public record MembershipEvent(ChatGroup group, String change, String user, String by) {}
