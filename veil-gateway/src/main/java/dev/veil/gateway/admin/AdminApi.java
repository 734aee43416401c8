package dev.veil.gateway.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.veil.gateway.auth.KeyAuthenticator;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.protocol.OpenAiError;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.ApiKeyRecord;
import dev.veil.store.ApiKeyRepository;
import dev.veil.store.IssuedKey;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The admin API for API keys: {@code POST /admin/keys}, {@code GET /admin/keys}, {@code DELETE /admin/keys/{id}}.
 * Guarded by the admin token from the environment; without one the admin API is switched off. A new key's secret is
 * in the creation response and nowhere else: the store keeps only its hash.
 */
public final class AdminApi {

    /** A completed admin call: status and JSON body. */
    public record Reply(int status, byte[] body) {
    }

    static final int MAX_NAME_LENGTH = 100;

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

    /** Checks the admin bearer token in constant time; returns the error to answer with, or empty when allowed. */
    public Optional<OpenAiError> authorize(String authorization) {
        if (adminToken.isEmpty()) {
            return Optional.of(new OpenAiError(403, "The admin API is disabled. Set the environment variable "
                    + adminTokenEnv + " to an admin token and restart the gateway.", OpenAiError.PERMISSION, null,
                    "admin_api_disabled"));
        }
        byte[] presented = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(presented, adminToken.get())) {
            return Optional.of(new OpenAiError(401, "Missing or wrong admin token; send 'Authorization: Bearer <token>' "
                    + "with the value of " + adminTokenEnv + ".", OpenAiError.AUTHENTICATION, null, "invalid_admin_token"));
        }
        return Optional.empty();
    }

    /** {@code POST /admin/keys} with an optional {@code {"name": "..."}} body. */
    public Future<Reply> create(byte[] body) {
        String name;
        try {
            name = parseName(body);
        } catch (InvalidRequestException e) {
            return Future.failedFuture(e);
        }
        return jdbc.executeBlocking(() -> {
            IssuedKey issued = ApiKeyIssuer.issue(name, Instant.now());
            keys.insert(issued.record());
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

    /** {@code DELETE /admin/keys/{id}}: revokes the key at once on this gateway. */
    public Future<Reply> revoke(String id) {
        return jdbc.<Boolean>executeBlocking(() -> keys.revoke(id, Instant.now()), false).compose(revoked -> {
            authenticator.invalidateAll();
            if (!revoked) {
                return Future.failedFuture(new InvalidRequestException(new OpenAiError(404,
                        "No active key has this id; GET /admin/keys lists the keys.", OpenAiError.NOT_FOUND, "id",
                        "key_not_found")));
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
    }

    private String parseName(byte[] body) throws InvalidRequestException {
        if (body.length == 0) {
            return "unnamed";
        }
        String name = "unnamed";
        try (JsonParser p = jsonFactory.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new InvalidRequestException(OpenAiError.invalidRequest("The body must be a JSON object.", null, "invalid_json"));
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                if (field.equals("name")) {
                    if (v != JsonToken.VALUE_STRING) {
                        throw new InvalidRequestException(OpenAiError.invalidRequest(
                                "Invalid type for \"name\": expected a string.", "name", "invalid_type"));
                    }
                    name = p.getText();
                    if (name.isBlank() || name.length() > MAX_NAME_LENGTH) {
                        throw new InvalidRequestException(OpenAiError.invalidRequest(
                                "\"name\" must be 1 to " + MAX_NAME_LENGTH + " characters.", "name", "invalid_value"));
                    }
                } else {
                    throw new InvalidRequestException(OpenAiError.invalidRequest(
                            "Unknown field; the only field is \"name\".", null, "unknown_parameter"));
                }
            }
        } catch (IOException e) {
            throw new InvalidRequestException(OpenAiError.invalidRequest("The body is not valid JSON.", null, "invalid_json"));
        }
        return name;
    }
}
