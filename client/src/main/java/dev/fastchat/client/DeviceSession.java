package dev.fastchat.client;

import java.time.Instant;

/**
 * One of the user's sessions (a device that logged in), as the list of sessions shows it.
 *
 * @param id what {@link ChatClient#endSession} takes (not secret: it does not give the session's token away)
 * @param device the name its client gave
 * @param lastSeen when it last logged a connection in
 * @param address where it last logged in from
 * @param current whether it is this client's own session
 */
public record DeviceSession(String id, String device, Instant created, Instant lastSeen, String address, Instant expires,
                            boolean current) {}
