package dev.fastchat.client;

/**
 * The result of checking a contact's key.
 *
 * @param user the contact
 * @param safetyNumber 60 digits; equal on both sides only if each holds the other's real keys
 * @param trust whether the key the server hands out now is the pinned one
 */
public record KeyVerification(String user, String safetyNumber, KeyTrust trust) {}
