package dev.veil.gateway.config;

import java.util.Map;
import java.util.Optional;

/**
 * The shared counters ({@code redis:} in YAML): a Redis or Valkey server that every gateway instance uses for the keys'
 * {@code rpm}, {@code tpm} and {@code max_concurrent}. Without a {@code url} each instance counts in its own memory.
 *
 * @param url         {@code redis://host:6379} (or {@code rediss://} for TLS, {@code /N} for a database number);
 *                    {@code null} = no Redis; never contains a password
 * @param passwordEnv the NAME of the environment variable holding the Redis password (ACL user: {@code usernameEnv})
 * @param usernameEnv the NAME of the environment variable holding the Redis ACL user name; optional
 * @param timeoutMs   the longest one Redis call may take before {@code failMode} applies; default
 *                    {@value #DEFAULT_TIMEOUT_MS}
 * @param failMode    {@code fail_closed} (default: a key with limits is refused 503 with {@code Retry-After} while
 *                    Redis cannot be reached) or {@code fail_open} (each instance counts in its own memory meanwhile)
 * @param poolSize    Redis connections per instance; default {@value #DEFAULT_POOL_SIZE}
 * @param tlsCaFile   with {@code rediss://}: a PEM file of the certificate authorities to trust for the server's
 *                    certificate instead of the JVM's (a private CA, as managed Valkey services often use); the host
 *                    name is checked either way
 */
public record RedisConfig(String url, String passwordEnv, String usernameEnv, long timeoutMs, String failMode,
                          int poolSize, String tlsCaFile) {

    public static final long DEFAULT_TIMEOUT_MS = 250;
    public static final String FAIL_CLOSED = "fail_closed";
    public static final String FAIL_OPEN = "fail_open";
    public static final int DEFAULT_POOL_SIZE = 8;

    public RedisConfig {
        failMode = failMode == null ? FAIL_CLOSED : failMode;
    }

    /** No Redis: limits are counted in each instance's memory. */
    public static RedisConfig defaults() {
        return new RedisConfig(null, null, null, DEFAULT_TIMEOUT_MS, FAIL_CLOSED, DEFAULT_POOL_SIZE, null);
    }

    /** Whether the connection uses TLS ({@code rediss://}). */
    public boolean tls() {
        return url != null && url.startsWith("rediss://");
    }

    /** Whether a Redis server is configured. */
    public boolean enabled() {
        return url != null;
    }

    /** The Redis password from {@code env}; empty when no variable is named or it is unset. */
    public Optional<String> password(Map<String, String> env) {
        return EnvRef.resolve(passwordEnv, env);
    }

    /** The Redis ACL user from {@code env}; empty when no variable is named or it is unset. */
    public Optional<String> username(Map<String, String> env) {
        return EnvRef.resolve(usernameEnv, env);
    }
}
