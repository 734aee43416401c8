package dev.veil.gateway.config;

import java.util.List;

/**
 * How a hosted provider's TEE claim is verified ({@code upstreams[].attestation} in YAML): Veil fetches the provider's
 * attestation report with its own nonce, verifies it, and grants the upstream's routes their declared {@code tee} only
 * while it verifies. Only {@code kind: dstack} exists (NEAR AI Cloud, Phala/RedPill, Venice's {@code tee-*} models).
 *
 * @param kind                 {@value #KIND_DSTACK}
 * @param url                  the report endpoint, e.g. {@code https://cloud-api.near.ai/v1/attestation/report}; Veil
 *                             adds {@code model}, {@code nonce} and {@code signing_algo}; default: the upstream's
 *                             {@code base_url} plus {@code /attestation/report}
 * @param model                the provider's model name the report is asked for (required)
 * @param signingAlgo          {@code ecdsa} or {@code ed25519}; default {@value #DEFAULT_SIGNING_ALGO}
 * @param intervalMs           how often the report is fetched and verified again; default {@value #DEFAULT_INTERVAL_MS}
 * @param timeoutMs            the longest one fetch may take, connecting included; default {@value #DEFAULT_TIMEOUT_MS}
 * @param maxBytes             the largest report read; default {@value #DEFAULT_MAX_BYTES}
 * @param onFailure            what the routes get while the report does not verify: {@value #ON_FAILURE_DOWNGRADE} (served
 *                             as if they declared no TEE: their mode drops to what the rest of their policy earns) or
 *                             {@value #ON_FAILURE_EXCLUDE} (no requests at all)
 * @param minGpus              verified GPUs the report must carry; default {@value #DEFAULT_MIN_GPUS}
 * @param allowedMeasurements  MRTD values (96 hex) accepted; empty = any
 * @param allowedComposeHashes dstack compose hashes (64 hex) accepted from the replayed RTMR3; empty = any
 */
public record ProviderAttestationConfig(String kind, String url, String model, String signingAlgo, long intervalMs,
                                        long timeoutMs, long maxBytes, String onFailure, int minGpus,
                                        List<String> allowedMeasurements, List<String> allowedComposeHashes) {

    public static final String KIND_DSTACK = "dstack";
    public static final String DEFAULT_SIGNING_ALGO = "ecdsa";
    public static final long DEFAULT_INTERVAL_MS = 600_000;
    public static final long DEFAULT_TIMEOUT_MS = 15_000;
    public static final long DEFAULT_MAX_BYTES = 4L << 20;
    public static final String ON_FAILURE_DOWNGRADE = "downgrade";
    public static final String ON_FAILURE_EXCLUDE = "exclude";
    public static final int DEFAULT_MIN_GPUS = 1;

    public ProviderAttestationConfig {
        allowedMeasurements = allowedMeasurements == null ? List.of() : List.copyOf(allowedMeasurements);
        allowedComposeHashes = allowedComposeHashes == null ? List.of() : List.copyOf(allowedComposeHashes);
    }

    /** Whether routes are taken out, not downgraded, while the report does not verify. */
    public boolean excludeOnFailure() {
        return ON_FAILURE_EXCLUDE.equals(onFailure);
    }
}
