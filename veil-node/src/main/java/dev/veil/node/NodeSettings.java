package dev.veil.node;

import dev.veil.protocol.api.Endpoint;
import java.util.Set;

import dev.veil.protocol.attestation.NodeDeclaration;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a node runs. A {@code null} (or, for the numbers, a non-positive) value means the default, so callers can fill
 * in only what they care about; {@link #of(String, Map)} gives every default at once.
 *
 * @param host              the address to listen on (default {@value #DEFAULT_HOST})
 * @param port              the port to listen on; 0 picks a free port
 * @param engineBaseUrl     the local OpenAI-compatible engine, e.g. {@code http://127.0.0.1:8000/v1}; must be a loopback
 *                          address unless {@code allowRemoteEngine}, because decrypted requests travel to it in clear
 * @param models            public model id → the engine's model name; a request for any other id is refused
 * @param softwareIdentity  the declared software identity whose SHA-384 is the simulated measurement
 *                          (default {@value #DEFAULT_IDENTITY})
 * @param rotation          how long an HPKE key is current (default 24 h)
 * @param rotationGrace     how long a rotated-out key still decrypts, so requests in flight complete (default 10 min;
 *                          zero drops it at once)
 * @param replayCapacity    how many requests one key accepts before it is rotated (its replay set's bound;
 *                          default 1,000,000)
 * @param maxBodyBytes      the largest encrypted request body accepted (default 16 MiB)
 * @param allowRemoteEngine whether the engine may be on another host; off by default, since plaintext must not leave
 *                          the TEE
 * @param gatewayToken      when set, the secret a caller must sign every request with on every path but
 *                          {@code /health} ({@code dev.veil.protocol.gatewayauth.GatewaySignature}) (the gateway's {@code api_key_env} for this node); otherwise anyone who
 *                          can reach the node may use it
 * @param declaration       what the node declares about itself, signed into its attestation answer and checked against
 *                          every e2ee request's own policy (default {@link #DEFAULT_DECLARATION}: no name, never
 *                          trains, keeps nothing, jurisdiction not declared)
 * @param engineApis        the API families the engine speaks natively ({@code chat}, {@code responses},
 *                          {@code messages}: {@link dev.veil.protocol.api.Endpoint#api()}), as an upstream's
 *                          {@code apis:} in the gateway's configuration (default {@code chat} only). A Responses or
 *                          Messages request for an engine that does not speak its API is translated to chat
 *                          completions inside the node (docs/e2ee.md, "Endpoints")
 */
public record NodeSettings(String host, int port, String engineBaseUrl, Map<String, String> models,
                           String softwareIdentity, Duration rotation, Duration rotationGrace, int replayCapacity,
                           long maxBodyBytes, boolean allowRemoteEngine, NodeDeclaration declaration,
                           String gatewayToken, Set<String> engineApis) {

    /**
     * A node keeps nothing and trains on nothing: requests live in the TEE's memory while the engine answers. Where
     * it runs is the operator's to declare ({@code --jurisdiction}); undeclared, a policy naming jurisdictions
     * excludes it.
     */
    public static final NodeDeclaration DEFAULT_DECLARATION = new NodeDeclaration(null, false, 0, true, null, null);

    /** Settings without a declaration of their own (the default one). */
    public NodeSettings(String host, int port, String engineBaseUrl, Map<String, String> models,
                        String softwareIdentity, Duration rotation, Duration rotationGrace, int replayCapacity,
                        long maxBodyBytes, boolean allowRemoteEngine) {
        this(host, port, engineBaseUrl, models, softwareIdentity, rotation, rotationGrace, replayCapacity, maxBodyBytes,
                allowRemoteEngine, null, null);
    }

    /** Settings with an engine that speaks chat completions only (the default). */
    public NodeSettings(String host, int port, String engineBaseUrl, Map<String, String> models,
                        String softwareIdentity, Duration rotation, Duration rotationGrace, int replayCapacity,
                        long maxBodyBytes, boolean allowRemoteEngine, NodeDeclaration declaration, String gatewayToken) {
        this(host, port, engineBaseUrl, models, softwareIdentity, rotation, rotationGrace, replayCapacity, maxBodyBytes,
                allowRemoteEngine, declaration, gatewayToken, null);
    }

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final String DEFAULT_IDENTITY = "veil-node/0.1.0";
    public static final Duration DEFAULT_ROTATION = Duration.ofHours(24);
    public static final Duration DEFAULT_ROTATION_GRACE = Duration.ofMinutes(10);
    public static final int DEFAULT_REPLAY_CAPACITY = 1_000_000;
    public static final long DEFAULT_MAX_BODY_BYTES = 16L * 1024 * 1024;

    public NodeSettings {
        host = host == null || host.isBlank() ? DEFAULT_HOST : host;
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 0..65535 (0 picks a free port), not " + port);
        }
        if (engineBaseUrl == null || engineBaseUrl.isBlank()) {
            throw new IllegalArgumentException("engineBaseUrl is required, e.g. http://127.0.0.1:8000/v1");
        }
        if (models == null || models.isEmpty()) {
            throw new IllegalArgumentException("models needs at least one public id → engine model entry; "
                    + "a node without models serves nothing");
        }
        Map<String, String> copy = new LinkedHashMap<>();
        models.forEach((publicId, engineModel) -> {
            if (publicId == null || publicId.isBlank() || engineModel == null || engineModel.isBlank()) {
                throw new IllegalArgumentException("models entries need a non-blank public id and engine model");
            }
            copy.put(publicId, engineModel);
        });
        models = Collections.unmodifiableMap(copy);
        softwareIdentity = softwareIdentity == null || softwareIdentity.isBlank() ? DEFAULT_IDENTITY : softwareIdentity;
        rotation = rotation == null ? DEFAULT_ROTATION : rotation;
        if (rotation.toMillis() < 1) {
            throw new IllegalArgumentException("rotation must be at least 1 ms");
        }
        rotationGrace = rotationGrace == null ? DEFAULT_ROTATION_GRACE : rotationGrace;
        if (rotationGrace.isNegative()) {
            throw new IllegalArgumentException("rotationGrace must not be negative");
        }
        replayCapacity = replayCapacity <= 0 ? DEFAULT_REPLAY_CAPACITY : replayCapacity;
        maxBodyBytes = maxBodyBytes <= 0 ? DEFAULT_MAX_BODY_BYTES : maxBodyBytes;
        declaration = declaration == null ? DEFAULT_DECLARATION : declaration;
        gatewayToken = gatewayToken == null || gatewayToken.isBlank() ? null : gatewayToken.trim();
        engineApis = engineApis == null || engineApis.isEmpty() ? Set.of(Endpoint.API_CHAT) : Set.copyOf(engineApis);
        for (String api : engineApis) {
            if (Endpoint.ALL.stream().noneMatch(e -> e.api().equals(api))) {
                throw new IllegalArgumentException("engine API '" + api + "' is not one Veil knows; use "
                        + String.join(", ", apiNames()));
            }
        }
    }

    /** The API family names an engine may speak, from the endpoint descriptions. */
    public static java.util.List<String> apiNames() {
        return Endpoint.ALL.stream().map(Endpoint::api).distinct().toList();
    }

    /** The same settings with an engine that speaks {@code apis} natively (see {@link #engineApis()}). */
    public NodeSettings withEngineApis(Set<String> apis) {
        return new NodeSettings(host, port, engineBaseUrl, models, softwareIdentity, rotation, rotationGrace,
                replayCapacity, maxBodyBytes, allowRemoteEngine, declaration, gatewayToken, apis);
    }

    /** The same settings, requiring {@code token} from every caller but {@code /health} (see {@link #gatewayToken()}). */
    public NodeSettings withGatewayToken(String token) {
        return new NodeSettings(host, port, engineBaseUrl, models, softwareIdentity, rotation, rotationGrace,
                replayCapacity, maxBodyBytes, allowRemoteEngine, declaration, token, engineApis);
    }

    /** Never shows the gateway token. */
    @Override
    public String toString() {
        return "NodeSettings[" + host + ":" + port + ", engine=" + engineBaseUrl + ", models=" + models.keySet()
                + ", engine apis=" + engineApis + ", identity=" + softwareIdentity + (gatewayToken == null ? ", open to any caller" : ", gateway token set")
                + "]";
    }

    /** Every default, on a free loopback port. */
    public static NodeSettings of(String engineBaseUrl, Map<String, String> models) {
        return new NodeSettings(null, 0, engineBaseUrl, models, null, null, null, 0, 0, false);
    }

    public NodeSettings withHost(String newHost) {
        return new NodeSettings(newHost, port, engineBaseUrl, models, softwareIdentity, rotation, rotationGrace,
                replayCapacity, maxBodyBytes, allowRemoteEngine, declaration, gatewayToken, engineApis);
    }

    public NodeSettings withPort(int newPort) {
        return new NodeSettings(host, newPort, engineBaseUrl, models, softwareIdentity, rotation, rotationGrace,
                replayCapacity, maxBodyBytes, allowRemoteEngine, declaration, gatewayToken, engineApis);
    }

    public NodeSettings withSoftwareIdentity(String identity) {
        return new NodeSettings(host, port, engineBaseUrl, models, identity, rotation, rotationGrace, replayCapacity,
                maxBodyBytes, allowRemoteEngine, declaration, gatewayToken, engineApis);
    }

    public NodeSettings withRotation(Duration newRotation, Duration newGrace) {
        return new NodeSettings(host, port, engineBaseUrl, models, softwareIdentity, newRotation, newGrace,
                replayCapacity, maxBodyBytes, allowRemoteEngine, declaration, gatewayToken, engineApis);
    }

    public NodeSettings withReplayCapacity(int capacity) {
        return new NodeSettings(host, port, engineBaseUrl, models, softwareIdentity, rotation, rotationGrace, capacity,
                maxBodyBytes, allowRemoteEngine, declaration, gatewayToken, engineApis);
    }

    public NodeSettings withMaxBodyBytes(long bytes) {
        return new NodeSettings(host, port, engineBaseUrl, models, softwareIdentity, rotation, rotationGrace,
                replayCapacity, bytes, allowRemoteEngine, declaration, gatewayToken, engineApis);
    }

    public NodeSettings withDeclaration(NodeDeclaration newDeclaration) {
        return new NodeSettings(host, port, engineBaseUrl, models, softwareIdentity, rotation, rotationGrace,
                replayCapacity, maxBodyBytes, allowRemoteEngine, newDeclaration, gatewayToken, engineApis);
    }

    public NodeSettings withAllowRemoteEngine(boolean allow) {
        return new NodeSettings(host, port, engineBaseUrl, models, softwareIdentity, rotation, rotationGrace,
                replayCapacity, maxBodyBytes, allow, declaration, gatewayToken, engineApis);
    }
}
