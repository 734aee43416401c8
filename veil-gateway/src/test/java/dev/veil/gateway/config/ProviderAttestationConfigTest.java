package dev.veil.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code upstreams[].attestation}: read with its defaults, and every mistake named by its path. */
class ProviderAttestationConfigTest {

    @Test
    void readsTheBlockWithItsDefaults() {
        VeilConfig config = ConfigLoader.parse("""
                upstreams:
                  - name: near
                    base_url: https://cloud-api.near.ai/v1
                    attestation: {kind: dstack, model: deepseek-ai/DeepSeek-V3.1}
                models:
                  - id: m
                    routes: [{upstream: near, policy: {trains: false, retention_days: 0, tee: tdx}}]
                """, Map.of());
        ProviderAttestationConfig a = config.upstreams().getFirst().attestation();
        assertThat(a.kind()).isEqualTo("dstack");
        assertThat(a.url()).isNull();
        assertThat(a.signingAlgo()).isEqualTo("ecdsa");
        assertThat(a.intervalMs()).isEqualTo(ProviderAttestationConfig.DEFAULT_INTERVAL_MS);
        assertThat(a.onFailure()).isEqualTo("downgrade");
        assertThat(a.minGpus()).isEqualTo(1);
        assertThat(config.upstreams().getFirst().node()).isFalse();
        assertThat(ConfigLoader.parse("upstreams: [{name: a, base_url: \"http://h/v1\"}]", Map.of()).upstreams()
                .getFirst().attestation()).isNull();
    }

    @Test
    void mistakesAreNamedByPath() {
        assertThat(ConfigValidationTest.problems("""
                upstreams:
                  - name: p
                    base_url: https://p.example/v1
                    attestation: {kind: sgx, url: "ftp://x", signing_algo: rsa, interval_ms: 5, timeout_ms: 1,
                                  max_bytes: 10, on_failure: ignore, min_gpus: 99, allowed_measurements: [abc],
                                  allowed_compose_hashes: [zz]}
                  - name: n
                    base_url: http://127.0.0.1:9000/v1
                    node: true
                    attestation: {kind: dstack, model: m}
                models:
                  - id: m
                    routes: [{upstream: p, policy: {tee: sev-snp}}]
                """)).containsExactlyInAnyOrder(
                "upstreams[0].attestation.kind: required; must be dstack (a report with a TDX quote, event log, GPU"
                        + " evidence and signing address, as NEAR AI, Phala/RedPill and Venice serve it)",
                "upstreams[0].attestation.url: must be an absolute http:// or https:// URL such as http://127.0.0.1:8000/v1",
                "upstreams[0].attestation.model: required; the provider's model name the report is asked for",
                "upstreams[0].attestation.signing_algo: must be ecdsa or ed25519",
                "upstreams[0].attestation.interval_ms: must be at least 1000",
                "upstreams[0].attestation.timeout_ms: must be between 100 and 120000",
                "upstreams[0].attestation.max_bytes: must be between 1024 and 8388608 bytes",
                "upstreams[0].attestation.on_failure: must be downgrade (served without the TEE claim) or exclude (not"
                        + " served)",
                "upstreams[0].attestation.min_gpus: must be between 0 and 64",
                "upstreams[0].attestation.allowed_measurements: must list 96-character hex values",
                "upstreams[0].attestation.allowed_compose_hashes: must list 64-character hex values",
                "upstreams[1].attestation: a Veil node is attested by its own evidence (attestation: in the gateway's"
                        + " settings); leave upstreams[].attestation out on node: true upstreams",
                "models[0].routes[0].policy.tee: the upstream's attestation verifies an Intel TDX claim (kind: dstack);"
                        + " declare tee: tdx");
    }
}
