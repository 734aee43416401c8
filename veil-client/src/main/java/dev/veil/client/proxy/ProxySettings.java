package dev.veil.client.proxy;

import dev.veil.client.VeilClient;
import dev.veil.protocol.attestation.AttestationPolicy;
import java.time.Duration;
import java.util.Objects;

/**
 * How to run an {@link E2eeProxy}.
 *
 * @param gatewayUrl     the gateway's origin, e.g. {@code https://gateway.example} (a trailing {@code /v1} is ignored)
 * @param apiKey         the Veil API key used for every request (local clients' own {@code Authorization} is ignored)
 * @param host           the address to listen on; {@code 127.0.0.1} keeps it to this machine
 * @param port           the port to listen on; 0 picks a free one (see {@link E2eeProxy#port()})
 * @param policy         the attestation policy nodes must satisfy
 * @param attestationTtl how long a verified node is reused before the model is attested again
 * @param transparencyLogKey when not null, the transparency log key (raw Ed25519) every node must be published under
 * @param treeHeadFile   when not null, the file that keeps the last tree head accepted from each log across restarts
 *                       (see {@link VeilClient.Builder#treeHeadFile}); without it heads are kept in memory only
 */
public record ProxySettings(String gatewayUrl, String apiKey, String host, int port, AttestationPolicy policy,
                            Duration attestationTtl, byte[] transparencyLogKey, java.nio.file.Path treeHeadFile) {

    /** The default listen address. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** The default port of {@code veil proxy}. */
    public static final int DEFAULT_PORT = 8787;

    public ProxySettings {
        Objects.requireNonNull(gatewayUrl, "gatewayUrl");
        if (apiKey == null || apiKey.isBlank()) {
            throw new IllegalArgumentException("an API key is required");
        }
        host = host == null || host.isBlank() ? DEFAULT_HOST : host;
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535");
        }
        Objects.requireNonNull(policy, "policy");
        attestationTtl = attestationTtl == null ? VeilClient.DEFAULT_ATTESTATION_TTL : attestationTtl;
        transparencyLogKey = transparencyLogKey == null ? null : transparencyLogKey.clone();
    }

    /** Settings whose tree heads are kept in memory only. */
    public ProxySettings(String gatewayUrl, String apiKey, String host, int port, AttestationPolicy policy,
                         Duration attestationTtl, byte[] transparencyLogKey) {
        this(gatewayUrl, apiKey, host, port, policy, attestationTtl, transparencyLogKey, null);
    }

    /** Settings without a pinned transparency log key. */
    public ProxySettings(String gatewayUrl, String apiKey, String host, int port, AttestationPolicy policy,
                         Duration attestationTtl) {
        this(gatewayUrl, apiKey, host, port, policy, attestationTtl, null, null);
    }

    /** With the default attestation TTL (5 minutes). */
    public ProxySettings(String gatewayUrl, String apiKey, String host, int port, AttestationPolicy policy) {
        this(gatewayUrl, apiKey, host, port, policy, null, null, null);
    }

    /** Never shows the API key. */
    @Override
    public String toString() {
        return "ProxySettings[gateway=" + gatewayUrl + ", listen=" + host + ":" + port + ", policy=" + policy
                + ", attestationTtl=" + attestationTtl + ", treeHeadFile=" + treeHeadFile + "]";
    }
}
