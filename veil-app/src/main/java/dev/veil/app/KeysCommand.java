package dev.veil.app;

import dev.veil.gateway.Gateway;
import dev.veil.gateway.config.ConfigException;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.gateway.config.StoreConfig;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.ApiKeyRecord;
import dev.veil.store.IssuedKey;
import dev.veil.store.Store;
import dev.veil.store.StoreSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code veil keys create|list|revoke}: manages API keys directly in the store. A running gateway notices a
 * revocation made here within its key cache's lifetime (30 s); the admin API revokes at once.
 */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Create, list and revoke API keys.",
        subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class})
final class KeysCommand implements Runnable {

    @Override
    public void run() {
        System.out.println("Usage: veil keys create|list|revoke (see veil keys --help)");
    }

    /** Where the store is: a configuration file, or a data directory holding the SQLite file. */
    static final class StoreLocation {
        @Option(names = {"-c", "--config"}, description = "Use the store of this configuration file.")
        Path config;

        @Option(names = "--data-dir", description = "Use the SQLite store in this data directory.")
        Path dataDir;

        /**
         * The store's settings. Only {@code create} may start a new SQLite store; listing or revoking in a directory
         * without one is a mistyped path, not an empty store.
         */
        StoreSettings settings(boolean mayCreate) {
            if (config != null) {
                StoreConfig store = ConfigLoader.load(config, System.getenv()).store();
                requireExisting(store.jdbcUrl() == null ? store.sqliteFile() : null, mayCreate);
                return Gateway.storeSettings(store, System.getenv());
            }
            Path file = (dataDir != null ? dataDir : Path.of(StoreConfig.DEFAULT_DATA_DIR)).resolve(StoreConfig.SQLITE_FILE);
            requireExisting(file, mayCreate);
            return StoreSettings.sqlite(file);
        }

        private static void requireExisting(Path sqliteFile, boolean mayCreate) {
            if (!mayCreate && sqliteFile != null && !Files.exists(sqliteFile)) {
                throw new NoStoreException(sqliteFile);
            }
        }
    }

    /** No store where the user pointed. */
    static final class NoStoreException extends RuntimeException {
        NoStoreException(Path file) {
            super("no Veil store at " + file.toAbsolutePath() + "; check --data-dir or --config (keys create makes a new one)");
        }
    }

    abstract static class StoreCommand implements Callable<Integer> {
        @ArgGroup(exclusive = true)
        StoreLocation location = new StoreLocation();

        @Override
        public Integer call() {
            try (Store store = Store.open(location.settings(createsStore()))) {
                return run(store);
            } catch (ConfigException e) {
                System.err.println("veil: invalid configuration:\n" + e.getMessage());
                return 2;
            } catch (NoStoreException e) {
                System.err.println("veil: " + e.getMessage());
                return 1;
            }
        }

        /** Whether this command may create a store that does not exist yet. */
        boolean createsStore() {
            return false;
        }

        abstract int run(Store store);
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a key and print it once.")
    static final class Create extends StoreCommand {
        @Option(names = "--name", defaultValue = "unnamed", description = "A name to recognise the key by.")
        String name;

        @Override
        boolean createsStore() {
            return true;
        }

        @Override
        int run(Store store) {
            IssuedKey key = ApiKeyIssuer.issue(name, Instant.now());
            store.apiKeys().insert(key.record());
            System.out.println("Created key " + key.record().id() + " (" + name + "). Store it now: it is not shown again.");
            System.out.println("VEIL_API_KEY=" + key.secret());
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys (never their secrets).")
    static final class ListKeys extends StoreCommand {
        @Override
        int run(Store store) {
            System.out.printf("%-22s %-24s %-8s %-22s %s%n", "ID", "NAME", "HINT", "CREATED", "STATE");
            for (ApiKeyRecord key : store.apiKeys().list()) {
                System.out.printf("%-22s %-24s %-8s %-22s %s%n", key.id(), key.name(), "…" + key.secretHint(),
                        key.createdAt(), key.active() ? "active" : "revoked " + key.revokedAt());
            }
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key by id.")
    static final class Revoke extends StoreCommand {
        @Parameters(index = "0", description = "The key id (key_…), as 'veil keys list' shows it.")
        String id;

        @Override
        int run(Store store) {
            if (store.apiKeys().revoke(id, Instant.now())) {
                System.out.println("Revoked " + id + ".");
                return 0;
            }
            System.err.println("veil: no active key with id " + id + "; 'veil keys list' shows the keys.");
            return 1;
        }
    }
}
