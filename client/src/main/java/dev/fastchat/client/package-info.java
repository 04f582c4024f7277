/**
 * The FastChat client library. Start with {@link dev.fastchat.client.ChatClient}. Everything under
 * {@code dev.fastchat.client.internal} may change without notice.
 */
package dev.fastchat.client;
