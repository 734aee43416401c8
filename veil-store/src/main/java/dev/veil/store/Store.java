package dev.veil.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata store: a connection pool over SQLite or PostgreSQL, migrated to the current schema, and the
 * repositories that read and write it.
 *
 * <p>The store holds metadata only (API keys as hashes, per-request counters, daily usage totals); it never holds
 * prompt or response content or client IP addresses. See {@code docs/privacy.md}.
 *
 * <p>Every method here and in the repositories is blocking JDBC. Callers on an event loop must run them on a worker
 * pool. Instances are thread-safe.
 *
 * <p>SQLite runs with a single pooled connection in WAL mode: one writer at a time is all SQLite allows anyway, and
 * serialising in the pool avoids {@code SQLITE_BUSY} failures. PostgreSQL uses up to
 * {@link StoreSettings#maxPoolSize()} connections.
 */
public final class Store implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Store.class);

    /** Migrations shared by every vendor; keep SQL portable so almost everything lives here. */
    static final String COMMON_MIGRATIONS = "db/migration/common";

    private final HikariDataSource dataSource;
    private final String vendor;
    private final ApiKeyRepository apiKeys;
    private final RequestLogRepository requests;
    private final UsageLedgerRepository ledger;
    private final BatchFileRepository batchFiles;
    private final BatchRepository batches;
    private final BatchLeaseRepository batchLeases;
    private final BatchFileChunkRepository batchFileChunks;
    private final ExclusiveJobs exclusiveJobs;
    private final TransparencyLogRepository transparencyLog;
    private final NodeNetworkRepository nodeNetwork;
    private final AuditLogRepository auditLog;
    private final DashboardSessionRepository dashboardSessions;

    private Store(HikariDataSource dataSource, String vendor) {
        this.dataSource = dataSource;
        this.vendor = vendor;
        this.auditLog = new AuditLogRepository(dataSource, vendor);
        this.apiKeys = new ApiKeyRepository(dataSource, auditLog);
        this.requests = new RequestLogRepository(dataSource, vendor);
        this.ledger = new UsageLedgerRepository(dataSource);
        this.batchFiles = new BatchFileRepository(dataSource);
        this.batches = new BatchRepository(dataSource, vendor, requests, ledger);
        this.batchLeases = new BatchLeaseRepository(dataSource, vendor);
        this.batchFileChunks = new BatchFileChunkRepository(dataSource, vendor);
        this.exclusiveJobs = new ExclusiveJobs(dataSource, vendor);
        this.transparencyLog = new TransparencyLogRepository(dataSource);
        this.nodeNetwork = new NodeNetworkRepository(dataSource);
        this.dashboardSessions = new DashboardSessionRepository(dataSource);
    }

    /**
     * Migrates the database to the current schema and opens a connection pool on it.
     *
     * @throws IllegalArgumentException             when the URL names an unsupported vendor or an in-memory SQLite database
     * @throws org.flywaydb.core.api.FlywayException when migration fails
     * @throws RuntimeException                      from the pool when the database cannot be reached
     */
    public static Store open(StoreSettings settings) {
        String vendor = settings.vendor();
        if (StoreSettings.SQLITE.equals(vendor) && settings.jdbcUrl().contains(":memory:")) {
            throw new IllegalArgumentException("in-memory SQLite is not supported; use a database file");
        }
        migrate(settings, vendor);
        HikariDataSource dataSource = new HikariDataSource(poolConfig(settings, vendor));
        log.info("metadata store open ({})", vendor);
        return new Store(dataSource, vendor);
    }

    /**
     * Migrates the database to the current schema and returns how many migrations ran, without opening a pool (for
     * {@code veil migrate} in deploy pipelines). Safe to run while gateways serve, and from several processes at once:
     * on PostgreSQL Flyway holds an advisory lock while it migrates, so the others wait and then find nothing to do.
     *
     * @throws org.flywaydb.core.api.FlywayException when migration fails
     */
    public static int migrate(StoreSettings settings) {
        return migrate(settings, settings.vendor());
    }

    /**
     * Runs Flyway before the pool exists, on its own short-lived connections, so the single SQLite pool connection is
     * never contended by the migrator.
     */
    private static int migrate(StoreSettings settings, String vendor) {
        return Flyway.configure()
                .dataSource(settings.jdbcUrl(), settings.username(), settings.password())
                .locations(migrationLocations(vendor))
                .failOnMissingLocations(false)
                .load()
                .migrate()
                .migrationsExecuted;
    }

    /**
     * The common location plus the vendor's own, the latter only when it holds anything: Maven does not package empty
     * folders, and Flyway warns about locations it cannot find.
     */
    static String[] migrationLocations(String vendor) {
        List<String> locations = new ArrayList<>();
        locations.add("classpath:" + COMMON_MIGRATIONS);
        String vendorFolder = "db/migration/" + vendor;
        if (Store.class.getClassLoader().getResource(vendorFolder) != null) {
            locations.add("classpath:" + vendorFolder);
        }
        return locations.toArray(String[]::new);
    }

    private static HikariConfig poolConfig(StoreSettings settings, String vendor) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("veil-store");
        config.setJdbcUrl(settings.jdbcUrl());
        if (settings.username() != null) {
            config.setUsername(settings.username());
        }
        if (settings.password() != null) {
            config.setPassword(settings.password());
        }
        if (StoreSettings.SQLITE.equals(vendor)) {
            config.setMaximumPoolSize(1);
            config.setMinimumIdle(1);
            // sqlite-jdbc applies these pragmas to every connection it opens (Hikari passes them as driver properties).
            config.addDataSourceProperty("journal_mode", "WAL");
            config.addDataSourceProperty("busy_timeout", "5000");
            // With WAL, NORMAL keeps every committed transaction across a process crash (kill -9); only an OS crash or
            // power loss may drop the last commits. FULL's fsync per commit cost the metering thread CPU on every batch.
            config.addDataSourceProperty("synchronous", "NORMAL");
            config.addDataSourceProperty("foreign_keys", "true");
        } else {
            config.setMaximumPoolSize(settings.maxPoolSize());
            // Waiting longer for a connection only holds a JDBC worker (and the request behind it) while the database
            // is unreachable; five seconds is far beyond a healthy pool's wait (docs/deployment.md, store outages).
            config.setConnectionTimeout(5_000);
        }
        return config;
    }

    /**
     * Whether the database answers a trivial query within {@code timeoutSeconds} (for readiness). Blocking; run it on a
     * worker pool.
     */
    public boolean reachable(int timeoutSeconds) {
        try (java.sql.Connection connection = dataSource.getConnection()) {
            return connection.isValid(timeoutSeconds);
        } catch (java.sql.SQLException | RuntimeException e) {
            return false;
        }
    }

    /** The pooled data source, for callers that need a transaction spanning several repositories. */
    public DataSource dataSource() {
        return dataSource;
    }

    /** {@code "sqlite"} or {@code "postgresql"}. */
    public String vendor() {
        return vendor;
    }

    /** API keys (stored as hashes). */
    public ApiKeyRepository apiKeys() {
        return apiKeys;
    }

    /** Per-request metadata, purged after the retention period. */
    public RequestLogRepository requests() {
        return requests;
    }

    /** Daily usage totals per key and model, kept for billing. */
    public UsageLedgerRepository ledger() {
        return ledger;
    }

    /** Files of the Files API (metadata; the bytes are encrypted on disk) and their wrapped data keys. */
    public BatchFileRepository batchFiles() {
        return batchFiles;
    }

    /** Batches of the Batches API. */
    public BatchRepository batches() {
        return batches;
    }

    /** The transparency log's leaves. */
    /** Leases that keep each batch on one instance at a time. */
    public BatchLeaseRepository batchLeases() {
        return batchLeases;
    }

    /** The shared store of batch files' encrypted parts ({@code batch.storage: database}). */
    public BatchFileChunkRepository batchFileChunks() {
        return batchFileChunks;
    }

    /** Periodic jobs (sweeps, purges) that must run on one instance at a time. */
    public ExclusiveJobs exclusiveJobs() {
        return exclusiveJobs;
    }

    /** Whether the store is one that only a single process uses (SQLite). */
    public boolean singleNode() {
        return StoreSettings.SQLITE.equals(vendor);
    }

    public TransparencyLogRepository transparencyLog() {
        return transparencyLog;
    }

    /** Join tokens and the nodes that joined with them. */
    public NodeNetworkRepository nodeNetwork() {
        return nodeNetwork;
    }

    /** The hash-chained audit log of admin actions. */
    public AuditLogRepository auditLog() {
        return auditLog;
    }

    /** Sessions of the dashboard ({@code /ui}), by the hash of their id. */
    public DashboardSessionRepository dashboardSessions() {
        return dashboardSessions;
    }

    /** Closes the pool. Close any {@link MeteringWriter} first so it can flush. */
    @Override
    public void close() {
        dataSource.close();
    }
}
