package dev.veil.gateway.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.admin.AdminApi;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.nodes.JoinTokens;
import dev.veil.gateway.nodes.NodeNetwork;
import dev.veil.gateway.nodes.NodeRegistry;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.gateway.routing.Upstream;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.attestation.AttestationVerifier.VerifiedNode;
import dev.veil.protocol.attestation.VerifiedGpu;
import dev.veil.protocol.gatewayauth.GatewaySignature;
import dev.veil.store.JoinTokenRecord;
import dev.veil.store.NodeRegistrationRecord;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The node network's HTTP API (docs/api.md, docs/network.md). For nodes: {@code POST /v1/nodes/join} (a join token as
 * bearer) and {@code DELETE /v1/nodes/{registration id}} (the registration's credential as bearer). For the operator
 * (admin token or an operator's dashboard session): {@code GET /v1/admin/nodes}, {@code POST /v1/admin/nodes/{registration id}/ban},
 * {@code POST|GET /v1/admin/join-tokens}, {@code DELETE /v1/admin/join-tokens/{id}}.
 */
public final class NodeNetworkApi {

    static final String NODES = "/v1/nodes";
    static final String JOIN = NODES + "/join";
    static final String ADMIN_NODES = "/v1/admin/nodes";
    static final String ADMIN_TOKENS = "/v1/admin/join-tokens";
    private static final int MAX_BODY = 16 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final NodeNetwork network;
    private final NodeRegistry registry;
    private final dev.veil.gateway.dashboard.DashboardAccess access;
    private final JsonWriter json;

    public NodeNetworkApi(NodeNetwork network, NodeRegistry registry, dev.veil.gateway.dashboard.DashboardAccess access,
                          JsonWriter json) {
        this.network = network;
        this.registry = registry;
        this.access = access;
        this.json = json;
    }

    static boolean serves(String path) {
        return path.equals(NODES) || path.startsWith(NODES + "/") || path.equals(ADMIN_NODES)
                || path.startsWith(ADMIN_NODES + "/") || path.equals(ADMIN_TOKENS) || path.startsWith(ADMIN_TOKENS + "/");
    }

    /** The reply to a request on one of these paths; bad input fails with an {@link InvalidRequestException}. */
    Future<AdminApi.Reply> handle(HttpServerRequest request, String path) {
        HttpMethod method = request.method();
        if (path.equals(JOIN)) {
            return method == HttpMethod.POST ? BodyReader.read(request, MAX_BODY).compose(body -> join(request, body))
                    : notAllowed("POST");
        }
        if (path.startsWith(NODES + "/")) {
            // Signed over the canonical path: a node resolves it against the gateway's origin, whatever prefix a proxy
            // in front adds or strips.
            return method == HttpMethod.DELETE ? leave(path.substring(NODES.length() + 1),
                    request.getHeader(GatewaySignature.HEADER), path) : notAllowed("DELETE");
        }
        // The admin token, or an operator's dashboard session (with its CSRF token on changes).
        request.pause();
        return access.operator(request).compose(allowed -> {
            request.resume();
            return operator(request, path, method);
        });
    }

    /** An operator's call, once allowed. */
    private Future<AdminApi.Reply> operator(HttpServerRequest request, String path, HttpMethod method) {
        if (path.equals(ADMIN_NODES)) {
            return method == HttpMethod.GET ? listNodes() : notAllowed("GET");
        }
        if (path.startsWith(ADMIN_NODES + "/") && path.endsWith("/ban")) {
            String id = path.substring(ADMIN_NODES.length() + 1, path.length() - "/ban".length());
            return method == HttpMethod.POST ? ban(id) : notAllowed("POST");
        }
        if (path.equals(ADMIN_TOKENS)) {
            if (method == HttpMethod.GET) {
                return network.tokens().map(tokens -> new AdminApi.Reply(200, json.write(g -> writeTokens(g, tokens))));
            }
            return method == HttpMethod.POST ? BodyReader.read(request, MAX_BODY).compose(this::issueToken)
                    : notAllowed("GET, POST");
        }
        if (path.startsWith(ADMIN_TOKENS + "/")) {
            String id = path.substring(ADMIN_TOKENS.length() + 1);
            return method == HttpMethod.DELETE ? network.revokeToken(id).compose(revoked -> revoked
                    ? Future.succeededFuture(new AdminApi.Reply(200, json.write(g -> {
                        g.writeStartObject();
                        g.writeStringField("id", id);
                        g.writeBooleanField("revoked", true);
                        g.writeEndObject();
                    }))) : notFound("join token", "join_token_not_found")) : notAllowed("DELETE");
        }
        return notFound("node network path", "unknown_url");
    }

    private Future<AdminApi.Reply> join(HttpServerRequest request, byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            return invalid("The join request is not valid JSON; send {\"url\": ..., \"name\": ..., \"models\": [...]}.",
                    null);
        }
        if (root == null || !root.isObject()) {
            return invalid("The join request must be a JSON object {\"url\": ..., \"name\": ..., \"models\": [...]}.",
                    null);
        }
        List<String> models = new ArrayList<>();
        JsonNode list = root.path("models");
        if (!list.isArray()) {
            return invalid("'models' must be an array of public model ids.", "models");
        }
        for (JsonNode m : list) {
            if (!m.isTextual()) {
                return invalid("'models' must hold strings.", "models");
            }
            models.add(m.asText());
        }
        String url = root.path("url").isTextual() ? root.path("url").asText() : null;
        String name = root.path("name").isTextual() ? root.path("name").asText() : null;
        return network.join(bearer(request), new NodeNetwork.JoinRequest(url, name,
                        models.stream().distinct().sorted().toList()))
                .map(joined -> new AdminApi.Reply(201, json.write(g -> {
                    g.writeStartObject();
                    g.writeStringField("registration_id", joined.registration().id());
                    g.writeStringField("credential", joined.credential());
                    g.writeStringField("route", joined.registration().id());
                    writeStrings(g, "models", joined.registration().models());
                    g.writeStringField("state", "attesting");
                    g.writeEndObject();
                })));
    }

    private Future<AdminApi.Reply> leave(String id, String signature, String path) {
        return network.leave(id, signature, "DELETE", path).compose(left -> left
                ? Future.succeededFuture(new AdminApi.Reply(200, json.write(g -> {
                    g.writeStartObject();
                    g.writeStringField("registration_id", id);
                    g.writeStringField("state", NodeRegistrationRecord.LEFT);
                    g.writeEndObject();
                }))) : notFound("active registration", "registration_not_found"));
    }

    private Future<AdminApi.Reply> ban(String id) {
        return network.ban(id).compose(banned -> banned
                ? Future.succeededFuture(new AdminApi.Reply(200, json.write(g -> {
                    g.writeStartObject();
                    g.writeStringField("registration_id", id);
                    g.writeStringField("state", NodeRegistrationRecord.BANNED);
                    g.writeBooleanField("join_token_revoked", true);
                    g.writeEndObject();
                }))) : notFound("active registration", "registration_not_found"));
    }

    private Future<AdminApi.Reply> issueToken(byte[] body) {
        JsonNode root;
        try {
            root = body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (IOException e) {
            return invalid("The body is not valid JSON; send {\"models\": [...], \"label\": ..., \"ttl_hours\": ...}.",
                    null);
        }
        if (root == null || !root.isObject() || !root.path("models").isArray() || root.path("models").isEmpty()) {
            return invalid("'models' must list the public model ids a node joining with the token may serve.", "models");
        }
        List<String> models = new ArrayList<>();
        for (JsonNode m : root.path("models")) {
            if (!m.isTextual() || m.asText().isBlank() || m.asText().length() > 200) {
                return invalid("'models' must hold non-empty model ids.", "models");
            }
            models.add(m.asText());
        }
        String label = root.path("label").isTextual() ? root.path("label").asText() : null;
        if (label != null && label.length() > 100) {
            return invalid("'label' is at most 100 characters.", "label");
        }
        Duration ttl = JoinTokens.DEFAULT_TTL;
        if (root.has("ttl_hours")) {
            long hours = root.path("ttl_hours").asLong(-1);
            if (!root.path("ttl_hours").canConvertToLong() || hours < 1 || hours > JoinTokens.MAX_TTL.toHours()) {
                return invalid("'ttl_hours' must be a whole number of hours from 1 to " + JoinTokens.MAX_TTL.toHours()
                        + ".", "ttl_hours");
            }
            ttl = Duration.ofHours(hours);
        }
        return network.issueToken(label, List.copyOf(models), ttl).map(issued -> new AdminApi.Reply(201, json.write(g -> {
            g.writeStartObject();
            writeToken(g, issued.record());
            g.writeStringField("token", issued.token());
            g.writeEndObject();
        })));
    }

    /** Configured nodes and joined ones (every state), each with what its last attestation verified. */
    private Future<AdminApi.Reply> listNodes() {
        return network.registrations().map(registrations -> new AdminApi.Reply(200, json.write(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("data");
            Set<String> joined = new HashSet<>();
            for (NodeRegistrationRecord r : registrations) {
                joined.add(r.id());
                g.writeStartObject();
                g.writeStringField("id", r.id());
                g.writeStringField("kind", "joined");
                g.writeStringField("name", r.name());
                g.writeStringField("url", r.baseUrl());
                writeStrings(g, "models", r.models());
                g.writeStringField("registration_state", r.state());
                g.writeStringField("joined_at", r.joinedAt().toString());
                writeAttestation(g, r.id());
                g.writeEndObject();
            }
            for (Upstream node : registry.nodes()) {
                if (joined.contains(node.name())) {
                    continue;
                }
                g.writeStartObject();
                g.writeStringField("id", node.name());
                g.writeStringField("kind", "configured");
                g.writeStringField("name", node.name());
                g.writeStringField("url", node.baseUrl().toString());
                writeAttestation(g, node.name());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        })));
    }

    private void writeAttestation(JsonGenerator g, String name) throws IOException {
        Optional<VerifiedNode> verified = registry.verified(name);
        NodeRegistry.NodeStatus status = registry.status(name);
        g.writeStringField("state", verified.isPresent() ? "admitted"
                : registry.node(name).isPresent() ? "not_admitted" : "removed");
        g.writeObjectFieldStart("attestation");
        writeInstant(g, "last_verified_at", status.lastVerifiedAt());
        String failure = status.lastFailure() != null ? status.lastFailure() : network.endReason(name).orElse(null);
        if (failure == null) {
            g.writeNullField("last_failure");
        } else {
            g.writeStringField("last_failure", failure);
        }
        g.writeNumberField("failures_in_a_row", status.failuresInARow());
        if (verified.isPresent()) {
            VerifiedNode v = verified.get();
            g.writeStringField("format", v.format());
            g.writeBooleanField("simulated", v.simulated());
            g.writeStringField("measurement", v.measurement());
            g.writeStringField("node_key_id", v.nodeKeyId());
            g.writeArrayFieldStart("gpus");
            for (VerifiedGpu gpu : v.gpus()) {
                g.writeStartObject();
                g.writeStringField("format", gpu.format());
                g.writeStringField("architecture", gpu.architecture());
                g.writeBooleanField("simulated", gpu.simulated());
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        g.writeEndObject();
    }

    private static void writeTokens(JsonGenerator g, List<JoinTokenRecord> tokens) throws IOException {
        g.writeStartObject();
        g.writeArrayFieldStart("data");
        Instant now = Instant.now();
        for (JoinTokenRecord t : tokens) {
            g.writeStartObject();
            writeToken(g, t);
            g.writeBooleanField("usable", t.usable(now));
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void writeToken(JsonGenerator g, JoinTokenRecord t) throws IOException {
        g.writeStringField("id", t.id());
        if (t.label() == null) {
            g.writeNullField("label");
        } else {
            g.writeStringField("label", t.label());
        }
        writeStrings(g, "models", t.models());
        g.writeStringField("created_at", t.createdAt().toString());
        writeInstant(g, "expires_at", t.expiresAt());
        writeInstant(g, "revoked_at", t.revokedAt());
        writeInstant(g, "used_at", t.usedAt());
    }

    private static void writeStrings(JsonGenerator g, String field, List<String> values) throws IOException {
        g.writeArrayFieldStart(field);
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
    }

    private static void writeInstant(JsonGenerator g, String field, Instant value) throws IOException {
        if (value == null) {
            g.writeNullField(field);
        } else {
            g.writeStringField(field, value.toString());
        }
    }

    private static String bearer(HttpServerRequest request) {
        String authorization = request.getHeader("authorization");
        return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : null;
    }

    private static <T> Future<T> invalid(String message, String param) {
        return Future.failedFuture(new InvalidRequestException(OpenAiError.invalidRequest(message, param,
                "invalid_request")));
    }

    private static <T> Future<T> notFound(String what, String code) {
        return Future.failedFuture(new InvalidRequestException(new OpenAiError(404, "No such " + what + ".",
                OpenAiError.INVALID_REQUEST, null, code)));
    }

    private static <T> Future<T> notAllowed(String allowed) {
        return Future.failedFuture(new InvalidRequestException(new OpenAiError(405, "Method not allowed here; use "
                + allowed + ".", OpenAiError.INVALID_REQUEST, null, "method_not_allowed")));
    }
}
