package dev.veil.app;

import dev.veil.gateway.Gateway;
import dev.veil.gateway.config.VeilConfig;
import dev.veil.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code veil migrate --config veil.yaml}: brings the store's schema up to date and exits, for deploy pipelines that
 * migrate before rolling out instances. {@code veil serve} migrates on start too, so this is optional.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Migrate the store's schema to this version of Veil and exit (veil serve also does it on start).")
final class MigrateCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, required = true, description = "YAML configuration file (its store section).")
    Path config;

    @Override
    public Integer call() {
        VeilConfig loaded = ServeCommand.load(config);
        if (loaded == null) {
            return 2;
        }
        try {
            if (loaded.store().isSqlite()) {
                Files.createDirectories(Path.of(loaded.store().dataDir()));
            }
            int ran = Store.migrate(Gateway.storeSettings(loaded.store(), System.getenv()));
            System.out.println(ran == 0 ? "veil: the store's schema is up to date; nothing to migrate"
                    : "veil: applied " + ran + " migration(s); the store's schema is up to date");
            return 0;
        } catch (Exception e) {
            // The class and Flyway's own message: it names the migration or the connection problem, never data.
            System.err.println("veil: migration failed: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
            return 1;
        }
    }
}
