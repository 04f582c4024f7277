package dev.fastchat.client;

/**
 * Where a message goes or which conversation to read: a user (direct messages) or a group. User and group
 * names share one namespace, but the kind is explicit so a typo cannot send to the wrong place.
 *
 * @param name the user's or group's name
 * @param group whether it names a group
 */
public record Target(String name, boolean group) {
    public static Target user(String name) {
        return new Target(name, false);
    }

    public static Target group(String name) {
        return new Target(name, true);
    }

    @Override
    public String toString() {
        return group ? "#" + name : name;
    }
}
