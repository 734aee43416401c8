package dev.veil.gateway.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.veil.gateway.auth.KeyAuthenticator;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.KeyPolicyJson;
import dev.veil.protocol.OpenAiError;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.ApiKeyRecord;
import dev.veil.store.ApiKeyRepository;
import dev.veil.store.AuditActor;
import dev.veil.store.IssuedKey;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The admin API for API keys: {@code POST /admin/keys}, {@code GET /admin/keys}, {@code PATCH /admin/keys/{id}}
 * (replaces the key's policy), {@code DELETE /admin/keys/{id}}. Guarded by the admin token from the environment;
 * without one the admin API is switched off. A new key's secret is in the creation response and nowhere else: the
 * store keeps only its hash. Every key is shown with its {@code policy} (see {@link KeyPolicyJson}).
 *
 * <p>Bad input is answered with an OpenAI-shaped 400 whose {@code param} names the field (e.g. {@code policy.rpm});
 * messages name fields, never the values sent.
 */
public final class AdminApi {

    /** A completed admin call: status and JSON body. */
    public record Reply(int status, byte[] body) {
    }

    private final Optional<byte[]> adminToken;
    private final String adminTokenEnv;
    private final ApiKeyRepository keys;
    private final WorkerExecutor jdbc;
    private final KeyAuthenticator authenticator;
    private final JsonFactory jsonFactory;
    private final JsonWriter json;

    public AdminApi(Optional<String> adminToken, String adminTokenEnv, ApiKeyRepository keys, WorkerExecutor jdbc,
                    KeyAuthenticator authenticator, JsonFactory jsonFactory) {
        this.adminToken = adminToken.filter(t -> !t.isBlank()).map(t -> t.getBytes(StandardCharsets.UTF_8));
        this.adminTokenEnv = adminTokenEnv;
        this.keys = keys;
        this.jdbc = jdbc;
        this.authenticator = authenticator;
        this.jsonFactory = jsonFactory;
        this.json = new JsonWriter(jsonFactory);
    }

    /** The 403 {@code admin_api_disabled} when no admin token is set, else empty. */
    public Optional<OpenAiError> disabled() {
        if (adminToken.isEmpty()) {
            return Optional.of(new OpenAiError(403, "The admin API is disabled. Set the environment variable "
                    + adminTokenEnv + " to an admin token and restart the gateway.", OpenAiError.PERMISSION, null,
                    "admin_api_disabled"));
        }
        return Optional.empty();
    }

    /** Checks the admin bearer token in constant time; returns the error to answer with, or empty when allowed. */
    public Optional<OpenAiError> authorize(String authorization) {
        if (adminToken.isEmpty()) {
            return disabled();
        }
        byte[] presented = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(presented, adminToken.get())) {
            return Optional.of(new OpenAiError(401, "Missing or wrong admin token; send 'Authorization: Bearer <token>' "
                    + "with the value of " + adminTokenEnv + ".", OpenAiError.AUTHENTICATION, null, "invalid_admin_token"));
        }
        return Optional.empty();
    }

    /**
     * {@code POST /admin/keys} with an optional body {@code {"name": "...", "preset": "...", "policy": {...}}}, every
     * field optional: {@code preset} is shorthand for {@code policy.preset}; without either the key is unrestricted.
     */
    public Future<Reply> create(byte[] body) {
        KeyRequest request;
        try {
            request = parse(body, true);
        } catch (InvalidRequestException e) {
            return Future.failedFuture(e);
        }
        String name = request.name() == null ? "unnamed" : request.name();
        KeyPolicy policy = request.policy() == null ? KeyPolicy.UNRESTRICTED : request.policy();
        return jdbc.executeBlocking(() -> {
            IssuedKey issued = ApiKeyIssuer.issue(name, policy, Instant.now());
            keys.insert(issued.record(), AuditActor.ADMIN_API);
            return new Reply(201, json.write(g -> {
                g.writeStartObject();
                writeKeyFields(g, issued.record());
                g.writeStringField("key", issued.secret());
                g.writeStringField("note", "Store this key now: Veil keeps only its hash and cannot show it again.");
                g.writeEndObject();
            }));
        }, false);
    }

    /** {@code GET /admin/keys}: ids, names, hints and state, never secrets or hashes. */
    public Future<Reply> list() {
        return jdbc.executeBlocking(() -> {
            List<ApiKeyRecord> all = keys.list();
            return new Reply(200, json.write(g -> {
                g.writeStartObject();
                g.writeStringField("object", "list");
                g.writeArrayFieldStart("data");
                for (ApiKeyRecord key : all) {
                    g.writeStartObject();
                    writeKeyFields(g, key);
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }));
        }, false);
    }

    /**
     * {@code PATCH /admin/keys/{id}} with {@code {"policy": {...}}} (or the {@code preset} shorthand, or both):
     * replaces the key's policy; fields left out of {@code policy} are not kept from the old one. Takes effect at once
     * on this gateway. Answers 200 with the key, or 404 {@code key_not_found} when no active key has this id.
     */
    public Future<Reply> updatePolicy(String id, byte[] body) {
        KeyPolicy policy;
        try {
            checkId(id);
            KeyRequest request = parse(body, false);
            if (request.policy() == null) {
                throw new InvalidRequestException(OpenAiError.invalidRequest(
                        "Missing required parameter: \"policy\" (the key's new policy; or \"preset\").", "policy",
                        "missing_required_parameter"));
            }
            policy = request.policy();
        } catch (InvalidRequestException e) {
            return Future.failedFuture(e);
        }
        return jdbc.<Optional<ApiKeyRecord>>executeBlocking(
                () -> keys.updatePolicy(id, policy, AuditActor.ADMIN_API) ? keys.findById(id) : Optional.empty(), false).compose(updated -> {
            authenticator.invalidateAll();
            if (updated.isEmpty()) {
                return Future.failedFuture(keyNotFound());
            }
            return Future.succeededFuture(new Reply(200, json.write(g -> {
                g.writeStartObject();
                writeKeyFields(g, updated.get());
                g.writeEndObject();
            })));
        });
    }

    /** {@code DELETE /admin/keys/{id}}: revokes the key at once on this gateway. */
    public Future<Reply> revoke(String id) {
        try {
            checkId(id);
        } catch (InvalidRequestException e) {
            return Future.failedFuture(e);
        }
        return jdbc.<Boolean>executeBlocking(() -> keys.revoke(id, Instant.now(), AuditActor.ADMIN_API), false).compose(revoked -> {
            authenticator.invalidateAll();
            if (!revoked) {
                return Future.failedFuture(keyNotFound());
            }
            return Future.succeededFuture(new Reply(200, json.write(g -> {
                g.writeStartObject();
                g.writeStringField("id", id);
                g.writeStringField("object", "api_key");
                g.writeBooleanField("revoked", true);
                g.writeEndObject();
            })));
        });
    }

    /** Refuses a path id that no key can have (control or other characters, absurd length) before any lookup. */
    private static void checkId(String id) throws InvalidRequestException {
        if (!ApiKeyIssuer.plausibleId(id)) {
            throw invalid("The path does not name a key id (key_ followed by hex characters); GET /admin/keys lists "
                    + "the keys.", "id", "invalid_value");
        }
    }

    private static InvalidRequestException keyNotFound() {
        return new InvalidRequestException(new OpenAiError(404,
                "No active key has this id; GET /admin/keys lists the keys.", OpenAiError.NOT_FOUND, "id",
                "key_not_found"));
    }

    private static void writeKeyFields(JsonGenerator g, ApiKeyRecord key) throws IOException {
        g.writeStringField("id", key.id());
        g.writeStringField("object", "api_key");
        g.writeStringField("name", key.name());
        g.writeStringField("hint", "…" + key.secretHint());
        g.writeNumberField("created_at", key.createdAt().getEpochSecond());
        if (key.revokedAt() == null) {
            g.writeNullField("revoked_at");
        } else {
            g.writeNumberField("revoked_at", key.revokedAt().getEpochSecond());
        }
        g.writeFieldName("policy");
        KeyPolicyJson.write(g, key.policy());
    }

    /** A parsed create or update body; {@code null} for what it left out. */
    private record KeyRequest(String name, KeyPolicy policy) {
    }

    private static final int MAX_FIELD_IN_MESSAGE = 64;

    /**
     * Parses {@code {"name", "preset", "policy"}} ({@code name} only when {@code nameAllowed}). The policy object is
     * copied out and read once the whole body is known, so the {@code preset} shorthand applies wherever it stands.
     */
    private KeyRequest parse(byte[] body, boolean nameAllowed) throws InvalidRequestException {
        if (body.length == 0) {
            return new KeyRequest(null, null);
        }
        List<String> known = nameAllowed ? List.of("name", "preset", "policy") : List.of("preset", "policy");
        String name = null;
        String preset = null;
        byte[] policyJson = null;
        Set<String> seen = new HashSet<>();
        try (JsonParser p = jsonFactory.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw invalid("The body must be a JSON object.", null, "invalid_json");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                if (!known.contains(field)) {
                    String shown = field.length() > MAX_FIELD_IN_MESSAGE
                            ? field.substring(0, MAX_FIELD_IN_MESSAGE) + "…" : field;
                    throw invalid("Unknown field \"" + shown + "\"; the fields are " + String.join(", ", known) + ".",
                            shown, "unknown_parameter");
                }
                if (!seen.add(field)) {
                    throw invalid("Duplicate field \"" + field + "\".", field, "invalid_json");
                }
                if (v == JsonToken.VALUE_NULL) {
                    continue;
                }
                switch (field) {
                    case "name" -> {
                        if (v != JsonToken.VALUE_STRING) {
                            throw invalid("Invalid type for \"name\": expected a string.", "name", "invalid_type");
                        }
                        name = p.getText();
                        String problem = ApiKeyIssuer.nameProblem(name);
                        if (problem != null) {
                            throw invalid("\"name\" " + problem + " (1 to " + ApiKeyIssuer.MAX_NAME_LENGTH
                                    + " printable characters).", "name", "invalid_value");
                        }
                    }
                    case "preset" -> {
                        if (v != JsonToken.VALUE_STRING) {
                            throw invalid("Invalid type for \"preset\": expected a string.", "preset", "invalid_type");
                        }
                        preset = p.getText();
                        if (!KeyPolicy.PRESETS.contains(preset)) {
                            throw invalid("Unknown \"preset\"; expected one of " + String.join(", ", KeyPolicy.PRESETS)
                                    + ".", "preset", "invalid_value");
                        }
                    }
                    case "policy" -> {
                        if (v != JsonToken.START_OBJECT) {
                            throw invalid("Invalid type for \"policy\": expected an object.", "policy", "invalid_type");
                        }
                        ByteArrayOutputStream copy = new ByteArrayOutputStream(256);
                        try (JsonGenerator g = jsonFactory.createGenerator(copy)) {
                            g.copyCurrentStructure(p);
                        }
                        policyJson = copy.toByteArray();
                    }
                    default -> throw new IllegalStateException("field list and switch disagree");
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw invalid("The body is not valid JSON.", null, "invalid_json");
            }
        } catch (IOException e) {
            // Jackson's messages quote the input; say only that it is malformed.
            throw invalid("The body is not valid JSON.", null, "invalid_json");
        }
        return new KeyRequest(name, policy(preset, policyJson));
    }

    private static KeyPolicy policy(String preset, byte[] policyJson) throws InvalidRequestException {
        if (policyJson == null) {
            return preset == null ? null : KeyPolicy.preset(preset);
        }
        KeyPolicy policy;
        try {
            policy = KeyPolicyJson.read(policyJson, preset);
        } catch (KeyPolicyJson.InvalidPolicyException e) {
            throw invalid("Invalid \"" + e.field() + "\": " + e.problem() + ".", e.field(), e.code());
        }
        if (preset != null && !Objects.equals(policy.preset(), preset)) {
            throw invalid("\"preset\" and \"policy.preset\" differ; give the preset once.", "preset", "invalid_value");
        }
        return policy;
    }

    private static InvalidRequestException invalid(String message, String param, String code) {
        return new InvalidRequestException(OpenAiError.invalidRequest(message, param, code));
    }
}
