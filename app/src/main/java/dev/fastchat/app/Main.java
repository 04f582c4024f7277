package dev.fastchat.app;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code fastchat} command. */
@Command(name = "fastchat",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "FastChat: self-hosted, end-to-end encrypted chat.",
        footer = {"", "Exit codes:",
                "  0  success",
                "  1  refused by the server (wrong password, name taken, not a member, ...)",
                "  2  bad usage, configuration, or input checked locally (name, size, empty message, missing file)",
                "  3  unreachable: no server answered, or it does not speak the FastChat protocol",
                "",
                "Client options (--server, --user, --tls, --server-cert, --keys) default to FASTCHAT_SERVER, FASTCHAT_USER, ...,"
                        + " else to ~/.config/fastchat/client.properties (keys server, user, tls, server-cert, keys).",
                "Run 'fastchat COMMAND --help' for the options of a command."})
public final class Main {
    /**
     * The subcommands in the order help lists them. Picocli builds a command's model by reflection, which costs
     * a one-shot command more than its own work: only the command being run is built (all of them for help).
     */
    private static final Map<String, Supplier<Object>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("server", ServerCommand::new);
        COMMANDS.put("register", RegisterCommand::new);
        COMMANDS.put("login", LoginCommand::new);
        COMMANDS.put("logout", LogoutCommand::new);
        COMMANDS.put("sessions", SessionsCommand::new);
        COMMANDS.put("chat", ChatCommand::new);
        COMMANDS.put("send", SendCommand::new);
        COMMANDS.put("react", ReactCommand::new);
        COMMANDS.put("delete", DeleteCommand::new);
        COMMANDS.put("daemon", DaemonCommand::new);
        COMMANDS.put("send-file", SendFileCommand::new);
        COMMANDS.put("fetch-file", FetchFileCommand::new);
        COMMANDS.put("read", ReadCommand::new);
        COMMANDS.put("group", GroupCommand::new);
        COMMANDS.put("who", WhoCommand::new);
        COMMANDS.put("block", BlockCommand::new);
        COMMANDS.put("unblock", UnblockCommand::new);
        COMMANDS.put("keys", KeysCommand::new);
        COMMANDS.put("loadgen", LoadgenCommand::new);
        COMMANDS.put("aot-training", AotTrainingCommand::new);
        COMMANDS.put("warm-up-clients", ServerWarmUp.ClientsCommand::new);
    }

    public static void main(String[] args) {
        boolean server = args.length > 0 && args[0].equals("server");
        if (System.getProperty("fastchat.log.level") == null) {
            System.setProperty("fastchat.log.level", server ? "INFO" : "WARN");
        }
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (for tests). */
    public static int run(String... args) {
        return commandLine(args).execute(args);
    }

    /** The command line for {@code args}: with only the subcommand they run, or all of them. */
    static CommandLine commandLine(String... args) {
        CommandLine commandLine = new CommandLine(new Main());
        String first = args.length > 0 ? args[0] : "";
        if (COMMANDS.containsKey(first)) {
            commandLine.addSubcommand(first, COMMANDS.get(first).get());
        } else {
            COMMANDS.forEach((name, command) -> commandLine.addSubcommand(name, command.get()));
            commandLine.addSubcommand("help", new CommandLine.HelpCommand());
        }
        if (commandLine.getSubcommands().containsKey("server")
                && java.util.Arrays.asList(args).contains("server")) { // only its help shows the table
            commandLine.getSubcommands().get("server").getCommandSpec().usageMessage()
                    .footer("", "Every setting: config-file key, environment variable, meaning (default):", ServerCommand.settingsTable());
        }
        commandLine.setDefaultValueProvider(new ClientDefaults(System.getenv()));
        commandLine.setExitCodeExceptionMapper(ExitCodes::of);
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("fastchat: " + Terminal.escape(ExitCodes.message(e))); // reasons may come from the server
            return ExitCodes.of(e);
        });
        return commandLine;
    }
}
