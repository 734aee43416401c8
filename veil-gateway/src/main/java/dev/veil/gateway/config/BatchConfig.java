package dev.veil.gateway.config;

import java.util.Map;
import java.util.Optional;

/**
 * The Files and Batches API ({@code batch:} in YAML). The API is on only when a master key is available: from the
 * environment variable named by {@code masterKeyEnv} or from {@code masterKeyFile}; without one it answers 503
 * {@code batch_disabled} and the rest of the gateway runs.
 *
 * @param masterKeyEnv      NAME of the environment variable holding the master key (base64url, 32 bytes); default
 *                          {@value #DEFAULT_MASTER_KEY_ENV}
 * @param masterKeyFile     a file holding the master key (base64url text, 32 bytes); used when the variable is unset
 * @param maxFileBytes      largest upload accepted; default 200 MiB
 * @param maxLines          most requests (lines) in one input file; default {@value #DEFAULT_MAX_LINES} (as OpenAI)
 * @param outputTtlHours    hours output and error files (and unused inputs) are kept; default {@value #DEFAULT_OUTPUT_TTL_HOURS}
 * @param concurrency       requests one batch runs at a time; default {@value #DEFAULT_CONCURRENCY}
 * @param globalConcurrency batch requests the whole gateway runs at a time; default {@value #DEFAULT_GLOBAL_CONCURRENCY}
 * @param maxActiveBatches  batches running at a time (others wait in {@code validating}); default {@value #DEFAULT_MAX_ACTIVE_BATCHES}
 * @param chunkLines        lines per durable step (results written and progress committed together); default
 *                          {@value #DEFAULT_CHUNK_LINES}
 * @param maxLineBytes      longest input line (one request) a batch reads; a longer line fails alone with
 *                          {@code request_too_large} and is never held whole. Never more than
 *                          {@code server.max_body_bytes}; default {@value #DEFAULT_MAX_LINE_BYTES} (8 MiB)
 * @param downloadIdleTimeoutMs a file download whose client takes nothing for this long is closed; default
 *                          {@value #DEFAULT_DOWNLOAD_IDLE_TIMEOUT_MS}
 * @param storage           where the encrypted bytes of batch files are kept: {@value #STORAGE_LOCAL} (the default,
 *                          under {@code <data_dir>/files/}, for one instance) or {@value #STORAGE_DATABASE} (in the
 *                          store, so that every instance on one PostgreSQL reads them; needed for several instances)
 * @param leaseMs           how long an instance's lease on a batch lasts without a heartbeat (heartbeats every third of
 *                          it); when the holder dies, another instance takes the batch over after at most this plus
 *                          {@code claim_interval_ms}; default {@value #DEFAULT_LEASE_MS}
 * @param claimIntervalMs   how often each instance looks for batches nobody holds; default
 *                          {@value #DEFAULT_CLAIM_INTERVAL_MS}
 */
public record BatchConfig(String masterKeyEnv, String masterKeyFile, long maxFileBytes, int maxLines, int outputTtlHours,
                          int concurrency, int globalConcurrency, int maxActiveBatches, int chunkLines,
                          long maxLineBytes, long downloadIdleTimeoutMs, String storage, long leaseMs,
                          long claimIntervalMs) {

    public static final String DEFAULT_MASTER_KEY_ENV = "VEIL_MASTER_KEY";
    public static final long DEFAULT_MAX_FILE_BYTES = 200L * 1024 * 1024;
    public static final int DEFAULT_MAX_LINES = 50_000;
    public static final int DEFAULT_OUTPUT_TTL_HOURS = 24;
    public static final int DEFAULT_CONCURRENCY = 4;
    public static final int DEFAULT_GLOBAL_CONCURRENCY = 32;
    public static final int DEFAULT_MAX_ACTIVE_BATCHES = 4;
    public static final int DEFAULT_CHUNK_LINES = 64;
    public static final long DEFAULT_MAX_LINE_BYTES = 8L * 1024 * 1024;
    public static final long DEFAULT_DOWNLOAD_IDLE_TIMEOUT_MS = 60_000;
    public static final String STORAGE_LOCAL = "local";
    public static final String STORAGE_DATABASE = "database";
    public static final long DEFAULT_LEASE_MS = 30_000;
    public static final long DEFAULT_CLAIM_INTERVAL_MS = 5_000;

    public BatchConfig {
        masterKeyEnv = masterKeyEnv == null ? DEFAULT_MASTER_KEY_ENV : masterKeyEnv;
        storage = storage == null ? STORAGE_LOCAL : storage;
        leaseMs = leaseMs == 0 ? DEFAULT_LEASE_MS : leaseMs;
        claimIntervalMs = claimIntervalMs == 0 ? DEFAULT_CLAIM_INTERVAL_MS : claimIntervalMs;
    }

    public static BatchConfig defaults() {
        return new BatchConfig(DEFAULT_MASTER_KEY_ENV, null, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_LINES,
                DEFAULT_OUTPUT_TTL_HOURS, DEFAULT_CONCURRENCY, DEFAULT_GLOBAL_CONCURRENCY, DEFAULT_MAX_ACTIVE_BATCHES,
                DEFAULT_CHUNK_LINES, DEFAULT_MAX_LINE_BYTES, DEFAULT_DOWNLOAD_IDLE_TIMEOUT_MS, STORAGE_LOCAL, DEFAULT_LEASE_MS,
                DEFAULT_CLAIM_INTERVAL_MS);
    }

    /** The same settings with a master key file. */
    public BatchConfig withMasterKeyFile(String file) {
        return new BatchConfig(masterKeyEnv, file, maxFileBytes, maxLines, outputTtlHours, concurrency, globalConcurrency,
                maxActiveBatches, chunkLines, maxLineBytes, downloadIdleTimeoutMs, storage, leaseMs, claimIntervalMs);
    }

    /** Whether batch files are kept in the store, readable by every instance. */
    public boolean sharedStorage() {
        return STORAGE_DATABASE.equals(storage);
    }

    /** How often a lease holder renews its leases: a third of the lease, so two missed heartbeats still keep it. */
    public long heartbeatMs() {
        return Math.max(100, leaseMs / 3);
    }

    /** The line cap a batch applies: {@code max_line_bytes}, and never more than the server's body limit. */
    public int effectiveMaxLineBytes(long maxBodyBytes) {
        return (int) Math.min(Integer.MAX_VALUE - 64, Math.min(maxLineBytes, maxBodyBytes));
    }

    /** The master key text from {@code env}, if the variable is set. */
    public Optional<String> masterKeyFromEnv(Map<String, String> env) {
        return EnvRef.resolve(masterKeyEnv, env);
    }
}
