package dev.fastchat.app;

import dev.fastchat.client.Target;
import picocli.CommandLine.Option;

/** Exactly one of {@code --to USER} and {@code --group GROUP}. */
final class TargetOptions {
    @Option(names = {"--to", "--with"}, paramLabel = "USER", required = true, description = "a user (direct messages)")
    String user;

    @Option(names = "--group", paramLabel = "GROUP", required = true, description = "a group")
    String group;

    Target target() {
        return user != null ? Target.user(user) : Target.group(group);
    }

    /** The conversation as the daemon's methods name it: {@code {"to": USER}} or {@code {"group": GROUP}}. */
    com.fasterxml.jackson.databind.node.ObjectNode json() {
        return JsonRpcDaemon.JSON.createObjectNode().put(user != null ? "to" : "group", user != null ? user : group);
    }
}
