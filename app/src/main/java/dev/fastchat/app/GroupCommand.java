package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import dev.fastchat.client.ChatGroup;
import dev.fastchat.client.GroupInvitation;
import dev.fastchat.client.GroupMember;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fastchat group ...}. */
@Command(name = "group", mixinStandardHelpOptions = true,
        description = "Creates groups and manages their members. Group names share the namespace of user names. "
                + "Adding someone invites them: they join when they accept.")
final class GroupCommand {
    private static final java.time.format.DateTimeFormatter TIME = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")
            .withZone(java.time.ZoneId.systemDefault());
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates a group; you become its admin.")
    int create(@Parameters(paramLabel = "GROUP", description = "the new group's name: 3 to 32 of a-z, 0-9, _ . - (a letter or digit first)") String group) throws Exception {
        return change(c -> c.groups().create(group), "created");
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Invites a user to a group (admins only): they become a member when they accept "
                    + "('fastchat group accept GROUP'); until then nothing of the group reaches them.")
    int add(@Parameters(paramLabel = "GROUP", description = "the group's name") String group, @Parameters(paramLabel = "USER", description = "the user's name") String user) throws Exception {
        return change(c -> c.groups().add(group, user), "invited " + user + " to");
    }

    @Command(name = "invitations", mixinStandardHelpOptions = true, description = "Lists your invitations to groups.")
    int invitations() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (ChatClient client = options.loggedIn()) {
            List<GroupInvitation> invitations = client.invitations().list().get(60, TimeUnit.SECONDS);
            if (invitations.isEmpty()) {
                out.println("no invitations");
            }
            for (GroupInvitation invitation : invitations) {
                out.printf("%-32s invited by %s, %s (%s)%n", Terminal.escape(invitation.group().name()), Terminal.escape(invitation.invitedBy()),
                        TIME.format(invitation.invitedAt()), invitation.group().memberCount() == 1 ? "1 member"
                                : invitation.group().memberCount() + " members");
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "accept", mixinStandardHelpOptions = true,
            description = "Accepts an invitation: you join the group and see its messages from now on.")
    int accept(@Parameters(paramLabel = "GROUP", description = "the group's name") String group) throws Exception {
        return change(c -> c.invitations().accept(group), "joined");
    }

    @Command(name = "decline", mixinStandardHelpOptions = true, description = "Declines an invitation.")
    int decline(@Parameters(paramLabel = "GROUP", description = "the group's name") String group) throws Exception {
        try (ChatClient client = options.loggedIn()) {
            client.invitations().decline(group).get(60, TimeUnit.SECONDS);
            spec.commandLine().getOut().println("declined the invitation to " + Terminal.escape(group));
            return ExitCodes.OK;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Removes a member (admins only); they keep what they had and receive nothing new.")
    int remove(@Parameters(paramLabel = "GROUP", description = "the group's name") String group, @Parameters(paramLabel = "USER", description = "the user's name") String user) throws Exception {
        return change(c -> c.groups().remove(group, user), "removed " + user + " from");
    }

    @Command(name = "promote", mixinStandardHelpOptions = true, description = "Makes a member an admin (admins only).")
    int promote(@Parameters(paramLabel = "GROUP", description = "the group's name") String group, @Parameters(paramLabel = "USER", description = "the user's name") String user) throws Exception {
        return change(c -> c.groups().promote(group, user), "made " + user + " an admin of");
    }

    @Command(name = "leave", mixinStandardHelpOptions = true,
            description = "Leaves a group; if you were its last admin, the longest-standing member becomes admin.")
    int leave(@Parameters(paramLabel = "GROUP", description = "the group's name") String group) throws Exception {
        return change(c -> c.groups().leave(group), "left");
    }

    @Command(name = "members", mixinStandardHelpOptions = true, description = "Lists a group's members (members only).")
    int members(@Parameters(paramLabel = "GROUP", description = "the group's name") String group) throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (ChatClient client = options.loggedIn()) {
            for (GroupMember member : client.groups().members(group).get(60, TimeUnit.SECONDS)) {
                out.printf("%-32s %-6s %s%n", Terminal.escape(member.name()), member.admin() ? "admin" : "member", member.online() ? "online" : "offline");
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the groups you belong to.")
    int list() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (ChatClient client = options.loggedIn()) {
            for (ChatGroup group : client.groups().list().get(60, TimeUnit.SECONDS)) {
                out.printf("%-32s %4d member%s%s%n", Terminal.escape(group.name()), group.memberCount(), group.memberCount() == 1 ? "" : "s", group.admin() ? "  (admin)" : "");
            }
            return ExitCodes.OK;
        }
    }

    private int change(Function<ChatClient, CompletableFuture<ChatGroup>> operation, String what) throws Exception {
        try (ChatClient client = options.loggedIn()) {
            ChatGroup group = operation.apply(client).get(60, TimeUnit.SECONDS);
            spec.commandLine().getOut().printf("%s %s (%s)%n", what, Terminal.escape(group.name()), group.memberCount() == 1 ? "1 member" : group.memberCount() + " members");
            return ExitCodes.OK;
        }
    }
}
