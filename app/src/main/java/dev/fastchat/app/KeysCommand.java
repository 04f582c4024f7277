package dev.fastchat.app;

import dev.fastchat.client.ChatClient;
import dev.fastchat.client.KeyTrust;
import dev.fastchat.client.KeyVerification;
import java.io.PrintWriter;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fastchat keys ...}. */
@Command(name = "keys", mixinStandardHelpOptions = true,
        header = "Shows safety numbers, marks contacts verified, accepts changed identity keys, and replaces your own.",
        description = "Checks contacts' identity keys. Keys are pinned the first time you talk to someone; FastChat "
                + "refuses to send to a contact whose key changed until you compare safety numbers and accept the new key.")
final class KeysCommand {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Command(name = "verify", mixinStandardHelpOptions = true,
            header = "Prints the safety number of you and USER.",
            description = "Compare it with the one USER sees (in person or on a call): if both show the same 60 digits, "
                    + "nobody sits between you.")
    int verify(@Parameters(paramLabel = "USER", description = "the contact whose key to check") String user) throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (ChatClient client = options.loggedIn()) {
            KeyVerification verification = client.keys().verify(user).get(60, TimeUnit.SECONDS);
            out.printf("Safety number of %s and %s:%n  %s%n", options.user, verification.user(), verification.safetyNumber());
            out.println(switch (verification.trust()) {
                case VERIFIED -> "Verified: the key matches the one you compared and marked verified.";
                case PINNED -> "The key matches the one pinned on this machine. If the numbers match, run 'fastchat keys mark-verified --user "
                        + options.user + " " + verification.user() + "'.";
                case FIRST_USE -> "First contact: the key is pinned on this machine now. If the numbers match, run"
                        + " 'fastchat keys mark-verified --user " + options.user + " " + verification.user() + "'.";
                case KEY_CHANGED -> "WARNING: " + verification.user() + "'s key changed since it was pinned. If the numbers match,"
                        + " run 'fastchat keys mark-verified --user " + options.user + " " + verification.user() + "'.";
            });
            return verification.trust() == KeyTrust.KEY_CHANGED ? ExitCodes.REFUSED : ExitCodes.OK;
        }
    }

    @Command(name = "reset", mixinStandardHelpOptions = true,
            header = "Replaces your identity keys with new ones (a device that held them was lost).",
            description = "The password is asked (or taken from FASTCHAT_PASSWORD): a kept session alone cannot replace "
                    + "keys. Your contacts are told at once and must compare safety numbers with you again before they "
                    + "can send to you. Messages sealed to the old keys stay readable only where the old keys are.")
    int reset() throws Exception {
        try (ChatClient client = options.loggedIn()) {
            char[] password = ClientOptions.password(false);
            try {
                client.keys().replace(password).get(60, TimeUnit.SECONDS);
            } finally {
                java.util.Arrays.fill(password, '\0');
            }
            spec.commandLine().getOut().printf("new identity keys for %s; your contacts must compare safety numbers with you again%n",
                    options.user);
            return ExitCodes.OK;
        }
    }

    @Command(name = "mark-verified", mixinStandardHelpOptions = true,
            header = "Records that you compared USER's safety number and it matched.",
            description = "Run it only when the safety numbers (fastchat keys verify) match on both sides. USER's current "
                    + "key is pinned as verified (replacing a changed one); chat and read mark their messages as verified, and "
                    + "if USER's key changes later, nothing is sent to them until you verify again (accept is not enough). "
                    + "Pins and verified marks follow you to your other devices, sealed so the server cannot read or change them.")
    int markVerified(@Parameters(paramLabel = "USER", description = "the contact whose safety number you compared") String user)
            throws Exception {
        try (ChatClient client = options.loggedIn()) {
            KeyVerification verified = client.keys().markVerified(user).get(60, TimeUnit.SECONDS);
            spec.commandLine().getOut().printf("%s is verified (safety number %s)%n", verified.user(), verified.safetyNumber());
            return ExitCodes.OK;
        }
    }

    @Command(name = "accept", mixinStandardHelpOptions = true,
            header = "Pins USER's current key after you compared safety numbers.",
            description = "Run it only when the safety numbers (fastchat keys verify) match on both sides. A contact you "
                    + "marked verified is not accepted so: verify the new key (mark-verified).")
    int accept(@Parameters(paramLabel = "USER", description = "the contact whose new key to accept") String user) throws Exception {
        try (ChatClient client = options.loggedIn()) {
            client.keys().accept(user).get(60, TimeUnit.SECONDS);
            spec.commandLine().getOut().printf("pinned the current key of %s%n", user);
            return ExitCodes.OK;
        }
    }
}
