package dev.veil.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code veil} command. */
@Command(name = "veil", mixinStandardHelpOptions = true, version = "veil 0.1.0",
        description = "Veil: a privacy-first, OpenAI-compatible inference gateway.",
        subcommands = {ServeCommand.class, MigrateCommand.class, DemoCommand.class, KeysCommand.class, NodeCommand.class, NodesCommand.class, AuditCommand.class, ProxyCommand.class, AttestCommand.class, LogCommand.class,
                BatchCommand.class, CommandLine.HelpCommand.class})
public final class VeilCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Entry point of the shaded jar. */
    public static void main(String[] args) {
        int exit = new CommandLine(new VeilCommand()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        if (exit != 0 || !ServeCommand.keepsRunning()) {
            System.exit(exit);
        }
    }
}
