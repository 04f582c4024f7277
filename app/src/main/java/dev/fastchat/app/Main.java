package dev.fastchat.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code fastchat} command. */
@Command(name = "fastchat",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "FastChat: self-hosted, end-to-end encrypted chat.",
        subcommands = {ServerCommand.class, RegisterCommand.class, LoginCommand.class, ChatCommand.class, SendCommand.class,
                SendFileCommand.class, FetchFileCommand.class, ReadCommand.class, GroupCommand.class, WhoCommand.class,
                KeysCommand.class, LoadgenCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 success, 1 refused by the server, 2 bad usage or configuration, 3 server unreachable.",
                "Run 'fastchat COMMAND --help' for the options of a command."})
public final class Main {
    public static void main(String[] args) {
        boolean server = args.length > 0 && args[0].equals("server");
        if (System.getProperty("fastchat.log.level") == null) {
            System.setProperty("fastchat.log.level", server ? "INFO" : "WARN");
        }
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (for tests). */
    public static int run(String... args) {
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.getSubcommands().get("server").getCommandSpec().usageMessage()
                .footer("", "Every setting: config-file key, environment variable, meaning (default):", ServerCommand.settingsTable());
        commandLine.setExitCodeExceptionMapper(ExitCodes::of);
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("fastchat: " + ExitCodes.message(e));
            return ExitCodes.of(e);
        });
        return commandLine.execute(args);
    }
}
