package dev.veil.gateway.config;

import dev.veil.protocol.RequestLogMode;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The database ({@code store:} in YAML): SQLite in {@code dataDir} by default, or any JDBC URL (e.g. PostgreSQL).
 *
 * @param dataDir       the directory for Veil's files; default {@value #DEFAULT_DATA_DIR}
 * @param jdbcUrl       the JDBC URL; {@code null} (default) = the SQLite file {@code <dataDir>/veil.db}; never contains
 *                      a password
 * @param usernameEnv   the NAME of the environment variable holding the database user; optional
 * @param passwordEnv   the NAME of the environment variable holding the database password; optional
 * @param poolSize      the connection pool size, at least 1; default {@value #DEFAULT_POOL_SIZE}
 * @param retentionDays how many days Veil keeps its own usage records, at least 1; default
 *                      {@value #DEFAULT_RETENTION_DAYS}
 * @param requestLog    what the request log keeps for keys whose policy does not say: {@code full}, {@code minute},
 *                      {@code hour} or {@code daily_totals}; default {@value #DEFAULT_REQUEST_LOG}
 * @param auditRetentionDays how many days the audit log of admin actions keeps an entry; 0 keeps every entry;
 *                      default {@value #DEFAULT_AUDIT_RETENTION_DAYS}
 * @param meteringFlushMs how often queued metering rows are written, 1 to 1000 ms; default
 *                      {@value #DEFAULT_METERING_FLUSH_MS}. An instance killed outright loses the rows of about the
 *                      last interval; a shorter interval shrinks that at the cost of more, smaller transactions
 */
public record StoreConfig(String dataDir, String jdbcUrl, String usernameEnv, String passwordEnv, int poolSize,
                          int retentionDays, String requestLog, int auditRetentionDays, long meteringFlushMs) {

    /** Default data directory, relative to the working directory. */
    public static final String DEFAULT_DATA_DIR = "./veil-data";
    /** Default connection pool size. */
    public static final int DEFAULT_POOL_SIZE = 8;
    /** Default retention of Veil's own records, in days. */
    public static final int DEFAULT_RETENTION_DAYS = 30;
    /** Default request log mode for keys whose policy sets none. */
    public static final String DEFAULT_REQUEST_LOG = "full";
    /** Default retention of the audit log, in days: a year. */
    public static final int DEFAULT_AUDIT_RETENTION_DAYS = 365;
    /** The SQLite file name used inside {@code dataDir} when no {@code jdbcUrl} is given. */
    public static final String SQLITE_FILE = "veil.db";

    /** Default interval between metering writes, in milliseconds. */
    public static final long DEFAULT_METERING_FLUSH_MS = 200;

    /** Applies the default data directory when it is left {@code null}. */
    public StoreConfig {
        dataDir = dataDir == null ? DEFAULT_DATA_DIR : dataDir;
        requestLog = requestLog == null ? DEFAULT_REQUEST_LOG : requestLog;
    }

    /** A store with the default metering interval. */
    public StoreConfig(String dataDir, String jdbcUrl, String usernameEnv, String passwordEnv, int poolSize,
                       int retentionDays, String requestLog, int auditRetentionDays) {
        this(dataDir, jdbcUrl, usernameEnv, passwordEnv, poolSize, retentionDays, requestLog, auditRetentionDays,
                DEFAULT_METERING_FLUSH_MS);
    }

    /** A store with the default audit log retention. */
    public StoreConfig(String dataDir, String jdbcUrl, String usernameEnv, String passwordEnv, int poolSize,
                       int retentionDays, String requestLog) {
        this(dataDir, jdbcUrl, usernameEnv, passwordEnv, poolSize, retentionDays, requestLog,
                DEFAULT_AUDIT_RETENTION_DAYS);
    }

    /** The store with every default (SQLite in {@value #DEFAULT_DATA_DIR}). */
    public static StoreConfig defaults() {
        return new StoreConfig(DEFAULT_DATA_DIR, null, null, null, DEFAULT_POOL_SIZE, DEFAULT_RETENTION_DAYS,
                DEFAULT_REQUEST_LOG, DEFAULT_AUDIT_RETENTION_DAYS);
    }

    /**
     * The operator's default request log mode.
     *
     * @throws IllegalArgumentException when {@code requestLog} is not a mode (the validator reports it first)
     */
    public RequestLogMode requestLogMode() {
        return RequestLogMode.fromWireName(requestLog);
    }

    /** The JDBC URL to connect to: {@code jdbcUrl}, or {@code jdbc:sqlite:<dataDir>/veil.db} when it is not set. */
    public String effectiveJdbcUrl() {
        return jdbcUrl != null ? jdbcUrl : "jdbc:sqlite:" + sqliteFile();
    }

    /** The SQLite file used when no {@code jdbcUrl} is set: {@code <dataDir>/veil.db}. */
    public Path sqliteFile() {
        return Path.of(dataDir).resolve(SQLITE_FILE);
    }

    /** True when the store is SQLite (the default). */
    public boolean isSqlite() {
        return effectiveJdbcUrl().startsWith("jdbc:sqlite:");
    }

    /** The database user from {@code env}; empty when no variable is named or it is unset. */
    public Optional<String> username(Map<String, String> env) {
        return EnvRef.resolve(usernameEnv, env);
    }

    /** The database password from {@code env}; empty when no variable is named or it is unset. */
    public Optional<String> password(Map<String, String> env) {
        return EnvRef.resolve(passwordEnv, env);
    }
}
