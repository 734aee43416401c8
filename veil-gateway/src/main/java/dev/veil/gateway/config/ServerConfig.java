package dev.veil.gateway.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The HTTP listener ({@code server:} in YAML).
 *
 * @param host           the address to bind; default {@value #DEFAULT_HOST} (loopback only)
 * @param port           the TCP port, 0..65535; 0 picks a free port; default {@value #DEFAULT_PORT}
 * @param maxBodyBytes   the largest request body accepted; default {@value #DEFAULT_MAX_BODY_BYTES} (16 MiB)
 * @param adminTokenEnv  the NAME of the environment variable that holds the admin API token; default
 *                       {@value #DEFAULT_ADMIN_TOKEN_ENV}; the admin API is disabled while that variable is unset
 * @param forwardHeaders extra client request header names allowed through to upstreams, lower-cased; empty by
 *                       default; never any of {@link #NEVER_FORWARDED}
 */
public record ServerConfig(String host, int port, long maxBodyBytes, String adminTokenEnv,
                           List<String> forwardHeaders) {

    /** Default bind address: loopback only. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** Default port. */
    public static final int DEFAULT_PORT = 8080;
    /** Default request body limit: 16 MiB. */
    public static final long DEFAULT_MAX_BODY_BYTES = 16L * 1024 * 1024;
    /** Default name of the environment variable holding the admin token. */
    public static final String DEFAULT_ADMIN_TOKEN_ENV = "VEIL_ADMIN_TOKEN";

    /**
     * Request headers that are never forwarded to an upstream, whatever {@code forward_headers} says: credentials,
     * client identity, and hop-by-hop headers. Lower-case.
     */
    public static final List<String> NEVER_FORWARDED = List.of(
            "authorization", "cookie", "proxy-authorization", "x-forwarded-for", "x-real-ip", "forwarded",
            "openai-organization", "openai-project", "host", "content-length", "transfer-encoding", "connection");

    /** Applies defaults to the fields left {@code null}; lower-cases, trims and de-duplicates the header names. */
    public ServerConfig {
        host = host == null ? DEFAULT_HOST : host;
        adminTokenEnv = adminTokenEnv == null ? DEFAULT_ADMIN_TOKEN_ENV : adminTokenEnv;
        forwardHeaders = normalizeHeaderNames(forwardHeaders);
    }

    /** The listener with every default. */
    public static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_MAX_BODY_BYTES, DEFAULT_ADMIN_TOKEN_ENV, List.of());
    }

    /** The admin token from {@code env}; empty when the variable is unset or blank (the admin API is then off). */
    public Optional<String> adminToken(Map<String, String> env) {
        return EnvRef.resolve(adminTokenEnv, env);
    }

    private static List<String> normalizeHeaderNames(List<String> names) {
        if (names == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>(names.size());
        for (String name : names) {
            if (name == null) {
                continue;
            }
            String normalized = name.trim().toLowerCase(Locale.ROOT);
            if (!out.contains(normalized)) {
                out.add(normalized);
            }
        }
        return List.copyOf(out);
    }
}
