package dev.veil.app;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.veil.gateway.Gateway;
import dev.veil.gateway.config.ConfigException;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.gateway.config.StoreConfig;
import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.KeyPolicyJson;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.ApiKeyRecord;
import dev.veil.store.AuditActor;
import dev.veil.store.IssuedKey;
import dev.veil.store.Store;
import dev.veil.store.StoreSettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code veil keys create|list|policy|revoke}: manages API keys and their policies directly in the store. A running
 * gateway notices a revocation or policy change made here within its key cache's lifetime (30 s); the admin API
 * applies them at once.
 */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = "Create, list and revoke API keys and set their policies.",
        subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.SetPolicy.class,
                KeysCommand.Revoke.class})
final class KeysCommand implements Runnable {

    @Override
    public void run() {
        System.out.println("Usage: veil keys create|list|policy|revoke (see veil keys --help)");
    }

    /** A bad option value; the message starts with the option's name. Exit status 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The policy options of {@code create} and {@code policy}. {@code --preset} is the base; every other option given
     * overrides it. Values are checked by {@link KeyPolicyJson}, the same rules the admin API applies, and errors are
     * reported against the option.
     */
    static final class PolicyOptions {
        private static final JsonFactory JSON = new JsonFactory();
        /** Policy JSON field → the option that sets it. */
        private static final Map<String, String> OPTION_OF = Map.ofEntries(Map.entry("preset", "--preset"),
                Map.entry("min_mode", "--min-mode"), Map.entry("allowed_models", "--models"),
                Map.entry("allowed_routes", "--routes"), Map.entry("jurisdictions", "--jurisdictions"),
                Map.entry("budget_usd", "--budget-usd"), Map.entry("budget_period", "--budget-period"),
                Map.entry("rpm", "--rpm"), Map.entry("tpm", "--tpm"), Map.entry("request_log", "--request-log"),
                Map.entry("request_log_retention_days", "--request-log-retention-days"),
                Map.entry("max_concurrent", "--max-concurrent"));

        @Option(names = "--preset", paramLabel = "PRESET",
                description = "Base policy: public (anonymized), internal (private), confidential (tee), regulated (e2ee).")
        String preset;

        @Option(names = "--min-mode", paramLabel = "MODE",
                description = "Weakest privacy mode allowed: anonymized, private, tee or e2ee.")
        String minMode;

        @Option(names = "--models", paramLabel = "M1,M2", description = "Model ids the key may use (default: all).")
        String models;

        @Option(names = "--routes", paramLabel = "R1,R2", description = "Routes the key may be served by (default: all).")
        String routes;

        @Option(names = "--jurisdictions", paramLabel = "J1,J2",
                description = "Jurisdictions a route must declare to serve the key, e.g. EU,CH (default: any).")
        String jurisdictions;

        @Option(names = "--budget-usd", paramLabel = "USD", description = "Spend allowed per budget period, in US dollars.")
        String budgetUsd;

        @Option(names = "--budget-period", paramLabel = "PERIOD", description = "day or month (default: month).")
        String budgetPeriod;

        @Option(names = "--rpm", paramLabel = "N", description = "Requests per minute (default: unlimited).")
        String rpm;

        @Option(names = "--tpm", paramLabel = "N", description = "Tokens per minute (default: unlimited).")
        String tpm;

        @Option(names = "--max-concurrent", paramLabel = "N",
                description = "Requests of the key that may be in flight at once (default: unlimited).")
        String maxConcurrent;

        @Option(names = "--request-log", paramLabel = "MODE", description = "What Veil's request log keeps of the "
                + "key's requests: full, minute, hour (rows with time cut to that unit) or daily_totals (no row per "
                + "request) (default: the operator's store.request_log).")
        String requestLog;

        @Option(names = "--request-log-retention-days", paramLabel = "N", description = "Days the key's request log "
                + "is kept, if shorter than store.retention_days (default: store.retention_days).")
        String requestLogRetentionDays;

        /** Whether any policy option was given. */
        boolean any() {
            return preset != null || minMode != null || models != null || routes != null || jurisdictions != null
                    || budgetUsd != null || budgetPeriod != null || rpm != null || tpm != null || requestLog != null
                    || requestLogRetentionDays != null || maxConcurrent != null;
        }

        /**
         * The policy the options describe ({@link KeyPolicy#UNRESTRICTED} when none is given).
         *
         * @throws UsageException naming the option whose value is not allowed
         */
        KeyPolicy policy() {
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            try (JsonGenerator g = JSON.createGenerator(out)) {
                g.writeStartObject();
                if (preset != null) {
                    g.writeStringField("preset", preset);
                }
                if (minMode != null) {
                    g.writeStringField("min_mode", minMode);
                }
                list(g, "allowed_models", models);
                list(g, "allowed_routes", routes);
                list(g, "jurisdictions", jurisdictions);
                if (budgetUsd != null) {
                    g.writeFieldName("budget_usd");
                    g.writeNumber(number(budgetUsd, "--budget-usd", "a number of US dollars, e.g. 10 or 2.50"));
                }
                if (budgetPeriod != null) {
                    g.writeStringField("budget_period", budgetPeriod);
                }
                if (rpm != null) {
                    g.writeFieldName("rpm");
                    g.writeNumber(integer(rpm, "--rpm"));
                }
                if (tpm != null) {
                    g.writeFieldName("tpm");
                    g.writeNumber(integer(tpm, "--tpm"));
                }
                if (requestLog != null) {
                    g.writeStringField("request_log", requestLog);
                }
                if (requestLogRetentionDays != null) {
                    g.writeFieldName("request_log_retention_days");
                    g.writeNumber(integer(requestLogRetentionDays, "--request-log-retention-days"));
                }
                if (maxConcurrent != null) {
                    g.writeFieldName("max_concurrent");
                    g.writeNumber(integer(maxConcurrent, "--max-concurrent"));
                }
                g.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try {
                return KeyPolicyJson.read(out.toByteArray());
            } catch (KeyPolicyJson.InvalidPolicyException e) {
                throw new UsageException(optionProblem(e));
            }
        }

        /** {@code policy.allowed_models[1]: must not be empty} → {@code --models: entry 2 must not be empty}. */
        private static String optionProblem(KeyPolicyJson.InvalidPolicyException e) {
            String field = e.field().startsWith(KeyPolicyJson.ROOT + ".")
                    ? e.field().substring(KeyPolicyJson.ROOT.length() + 1) : e.field();
            int bracket = field.indexOf('[');
            String base = bracket < 0 ? field : field.substring(0, bracket);
            String option = OPTION_OF.getOrDefault(base, base);
            if (bracket >= 0) {
                int index = Integer.parseInt(field.substring(bracket + 1, field.length() - 1));
                return option + ": entry " + (index + 1) + " " + e.problem();
            }
            return option + ": " + e.problem();
        }

        private static void list(JsonGenerator g, String field, String commaSeparated) throws IOException {
            if (commaSeparated == null) {
                return;
            }
            g.writeArrayFieldStart(field);
            for (String item : commaSeparated.split(",", -1)) {
                g.writeString(item.trim());
            }
            g.writeEndArray();
        }

        private static String number(String value, String option, String expected) {
            try {
                return new BigDecimal(value.trim()).toString();
            } catch (NumberFormatException e) {
                throw new UsageException(option + ": expected " + expected);
            }
        }

        private static String integer(String value, String option) {
            String trimmed = value.trim();
            if (!trimmed.matches("-?[0-9]{1,18}")) {
                throw new UsageException(option + ": expected a whole number of at least 1");
            }
            return trimmed;
        }
    }

    /** One line of policy for humans and scripts: its JSON form. */
    static String describe(KeyPolicy policy) {
        return KeyPolicyJson.write(policy);
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
            try {
                prepare();
            } catch (UsageException e) {
                System.err.println("veil: " + e.getMessage());
                return 2;
            }
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

        /** Checks the options before the store is opened; throws {@link UsageException} for a bad value. */
        void prepare() {
        }

        /** Whether this command may create a store that does not exist yet. */
        boolean createsStore() {
            return false;
        }

        abstract int run(Store store);
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a key and print it once. Without policy options the key is unrestricted.")
    static final class Create extends StoreCommand {
        @Option(names = "--name", defaultValue = "unnamed", description = "A name to recognise the key by.")
        String name;

        @Mixin
        PolicyOptions policyOptions = new PolicyOptions();

        private KeyPolicy policy;

        @Override
        void prepare() {
            String problem = ApiKeyIssuer.nameProblem(name);
            if (problem != null) {
                throw new UsageException("--name: " + problem + " (1 to " + ApiKeyIssuer.MAX_NAME_LENGTH
                        + " printable characters)");
            }
            policy = policyOptions.policy();
        }

        @Override
        boolean createsStore() {
            return true;
        }

        @Override
        int run(Store store) {
            IssuedKey key = ApiKeyIssuer.issue(name, policy, Instant.now());
            store.apiKeys().insert(key.record(), AuditActor.CLI);
            System.out.println("Created key " + key.record().id() + " (" + name + "). Store it now: it is not shown again.");
            System.out.println("VEIL_API_KEY=" + key.secret());
            System.out.println("Policy: " + describe(policy));
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys (never their secrets).")
    static final class ListKeys extends StoreCommand {
        private static final String ROW = "%-22s %-24s %-8s %-24s %-13s %-11s %-18s %s%n";

        @Override
        int run(Store store) {
            System.out.printf(ROW, "ID", "NAME", "HINT", "CREATED", "PRESET", "MIN_MODE", "BUDGET", "STATE");
            for (ApiKeyRecord key : store.apiKeys().list()) {
                KeyPolicy policy = key.policy();
                System.out.printf(ROW, key.id(), key.name(), "…" + key.secretHint(), key.createdAt(), preset(policy),
                        policy.minMode().wireName(), budget(policy),
                        key.active() ? "active" : "revoked " + key.revokedAt());
            }
            return 0;
        }

        static String preset(KeyPolicy policy) {
            if (policy.preset() != null) {
                return policy.preset();
            }
            return policy.equals(KeyPolicy.UNRESTRICTED) ? "-" : "custom";
        }

        static String budget(KeyPolicy policy) {
            return policy.budgetMicros() == null ? "-"
                    : "$" + KeyPolicyJson.usd(policy.budgetMicros()) + "/" + policy.budgetPeriod().wireName();
        }
    }

    @Command(name = "policy", mixinStandardHelpOptions = true,
            description = {"Replace a key's policy with the one the options describe (--preset as base; options left "
                    + "out are not kept from the old policy). Without options, print the key's policy.",
                    "A running gateway applies the change within 30 s; the admin API applies it at once."})
    static final class SetPolicy extends StoreCommand {
        @Parameters(index = "0", description = "The key id (key_…), as 'veil keys list' shows it.")
        String id;

        @Mixin
        PolicyOptions policyOptions = new PolicyOptions();

        private KeyPolicy policy;

        @Override
        void prepare() {
            policy = policyOptions.any() ? policyOptions.policy() : null;
        }

        @Override
        int run(Store store) {
            if (policy == null) {
                var key = store.apiKeys().findById(id);
                if (key.isEmpty()) {
                    System.err.println("veil: no key with id " + id + "; 'veil keys list' shows the keys.");
                    return 1;
                }
                System.out.println("Policy of " + id + ": " + describe(key.get().policy()));
                return 0;
            }
            if (store.apiKeys().updatePolicy(id, policy, AuditActor.CLI)) {
                System.out.println("Updated the policy of " + id + ": " + describe(policy));
                return 0;
            }
            System.err.println("veil: no active key with id " + id + "; 'veil keys list' shows the keys.");
            return 1;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key by id.")
    static final class Revoke extends StoreCommand {
        @Parameters(index = "0", description = "The key id (key_…), as 'veil keys list' shows it.")
        String id;

        @Override
        int run(Store store) {
            if (store.apiKeys().revoke(id, Instant.now(), AuditActor.CLI)) {
                System.out.println("Revoked " + id + ".");
                return 0;
            }
            System.err.println("veil: no active key with id " + id + "; 'veil keys list' shows the keys.");
            return 1;
        }
    }
}
