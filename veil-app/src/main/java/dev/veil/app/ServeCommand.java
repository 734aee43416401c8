package dev.veil.app;

import dev.veil.gateway.Gateway;
import dev.veil.gateway.config.ConfigException;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.gateway.config.VeilConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code veil serve --config veil.yaml}: runs the gateway until interrupted. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the gateway with a configuration file.")
final class ServeCommand implements Callable<Integer> {

    private static volatile boolean running;

    @Option(names = {"-c", "--config"}, required = true, description = "YAML configuration file (see veil.example.yaml).")
    Path config;

    @Override
    public Integer call() {
        VeilConfig loaded = ServeCommand.load(config);
        if (loaded == null) {
            return 2;
        }
        ConfigLoader.warnings(loaded, System.getenv()).forEach(w -> System.err.println("veil: warning: " + w));
        runUntilStopped(Gateway.start(loaded, System.getenv()));
        return 0;
    }

    /** The configuration in {@code config}, or null after saying on stderr what is wrong with it. */
    static VeilConfig load(Path config) {
        try {
            return ConfigLoader.load(config, System.getenv());
        } catch (ConfigException e) {
            System.err.println("veil: invalid configuration in " + config + ":\n" + e.getMessage());
            return null;
        }
    }

    /** Keeps the process alive until SIGINT/SIGTERM, then closes the gateway cleanly. */
    static void runUntilStopped(AutoCloseable... parts) {
        running = true;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (AutoCloseable part : parts) {
                try {
                    part.close();
                } catch (Exception e) {
                    System.err.println("veil: error while stopping: " + e.getClass().getSimpleName());
                }
            }
        }, "veil-shutdown"));
    }

    static boolean keepsRunning() {
        return running;
    }
}
