package dev.veil.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The shape of {@code veil.yaml}: which keys each mapping has, their types and defaults. Drives the unknown-key and
 * type checks, default filling, and the resolution of {@code VEIL_<PATH>} environment overrides.
 */
final class Schema {

    private Schema() {
    }

    enum Kind { STRING, INT, LONG, DOUBLE, BOOLEAN, OBJECT, LIST, MAP }

    /** A value type; {@code object} is set for OBJECT, {@code element} for LIST. MAP is string to string. */
    record Type(Kind kind, Obj object, Type element) {
        static final Type STRING = new Type(Kind.STRING, null, null);
        static final Type INT = new Type(Kind.INT, null, null);
        static final Type LONG = new Type(Kind.LONG, null, null);
        static final Type DOUBLE = new Type(Kind.DOUBLE, null, null);
        static final Type BOOLEAN = new Type(Kind.BOOLEAN, null, null);
        static final Type STRING_MAP = new Type(Kind.MAP, null, null);

        static Type object(Obj object) {
            return new Type(Kind.OBJECT, object, null);
        }

        static Type list(Type element) {
            return new Type(Kind.LIST, null, element);
        }

        boolean isScalar() {
            return kind != Kind.OBJECT && kind != Kind.LIST && kind != Kind.MAP;
        }

        /** For messages: "an integer", "a list of strings", ... */
        String describe() {
            return switch (kind) {
                case STRING -> "a string";
                case INT -> "an integer";
                case LONG -> "an integer";
                case DOUBLE -> "a number";
                case BOOLEAN -> "a boolean (true or false)";
                case OBJECT -> "a mapping";
                case LIST -> element.kind == Kind.OBJECT ? "a list of mappings" : "a list of strings";
                case MAP -> "a mapping of names to strings";
            };
        }
    }

    /** A key of a mapping; {@code defaultValue} is used when the key is missing or null. */
    record Field(String name, Type type, JsonNode defaultValue) {
    }

    /**
     * A mapping type.
     *
     * @param name        for messages
     * @param fields      the known keys, in documentation order
     * @param secretHint  how secrets are given for this mapping, for the "secrets by reference" message
     * @param credentialKeys extra keys (beyond the generic secret-looking ones) rejected as inline credentials
     */
    record Obj(String name, Map<String, Field> fields, String secretHint, Set<String> credentialKeys) {
        Field field(String key) {
            return fields.get(key);
        }

        String knownFields() {
            return String.join(", ", fields.keySet());
        }
    }

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private static Field f(String name, Type type) {
        return new Field(name, type, null);
    }

    private static Field f(String name, Type type, JsonNode defaultValue) {
        return new Field(name, type, defaultValue);
    }

    private static Obj obj(String name, String secretHint, Set<String> credentialKeys, Field... fields) {
        Map<String, Field> map = new LinkedHashMap<>();
        for (Field field : fields) {
            map.put(field.name(), field);
        }
        return new Obj(name, java.util.Collections.unmodifiableMap(map), secretHint, credentialKeys);
    }

    static final String GENERIC_SECRET_HINT = "an *_env field naming the variable, e.g. api_key_env: NAME";

    static final Obj PRICE = obj("price", GENERIC_SECRET_HINT, Set.of(),
            f("input_per_million", Type.DOUBLE, F.numberNode(0.0)),
            f("output_per_million", Type.DOUBLE, F.numberNode(0.0)));

    static final Obj POLICY = obj("policy", GENERIC_SECRET_HINT, Set.of(),
            f("trains", Type.BOOLEAN),
            f("retention_days", Type.INT),
            f("zdr", Type.BOOLEAN),
            f("tee", Type.STRING),
            f("e2ee", Type.BOOLEAN),
            f("jurisdiction", Type.STRING),
            f("policy_url", Type.STRING));

    static final Obj ROUTE = obj("route", "api_key_env: NAME on the upstream", Set.of(),
            f("name", Type.STRING),
            f("upstream", Type.STRING),
            f("model", Type.STRING),
            f("weight", Type.INT, F.numberNode(RouteConfig.DEFAULT_WEIGHT)),
            f("price", Type.object(PRICE), F.objectNode()),
            f("policy", Type.object(POLICY), F.objectNode()),
            f("supported_parameters", Type.list(Type.STRING)),
            f("forward_fields", Type.list(Type.STRING), F.arrayNode()),
            f("store", Type.STRING, F.textNode(RouteConfig.STORE_FORCE_FALSE)),
            f("tokenizer", Type.STRING));

    static final Obj MODEL = obj("model", "api_key_env: NAME on the upstream", Set.of(),
            f("id", Type.STRING),
            f("owned_by", Type.STRING, F.textNode(ModelConfig.DEFAULT_OWNED_BY)),
            f("description", Type.STRING),
            f("routes", Type.list(Type.object(ROUTE)), F.arrayNode()));

    static final Obj UPSTREAM_ATTESTATION = obj("attestation", GENERIC_SECRET_HINT, Set.of(),
            f("kind", Type.STRING),
            f("url", Type.STRING),
            f("model", Type.STRING),
            f("signing_algo", Type.STRING, F.textNode(ProviderAttestationConfig.DEFAULT_SIGNING_ALGO)),
            f("interval_ms", Type.LONG, F.numberNode(ProviderAttestationConfig.DEFAULT_INTERVAL_MS)),
            f("timeout_ms", Type.LONG, F.numberNode(ProviderAttestationConfig.DEFAULT_TIMEOUT_MS)),
            f("max_bytes", Type.LONG, F.numberNode(ProviderAttestationConfig.DEFAULT_MAX_BYTES)),
            f("on_failure", Type.STRING, F.textNode(ProviderAttestationConfig.ON_FAILURE_DOWNGRADE)),
            f("min_gpus", Type.INT, F.numberNode(ProviderAttestationConfig.DEFAULT_MIN_GPUS)),
            f("allowed_measurements", Type.list(Type.STRING), F.arrayNode()),
            f("allowed_compose_hashes", Type.list(Type.STRING), F.arrayNode()));

    static final Obj UPSTREAM = obj("upstream", "api_key_env: NAME", Set.of(),
            f("name", Type.STRING),
            f("base_url", Type.STRING),
            f("api_key_env", Type.STRING),
            f("headers", Type.STRING_MAP, F.objectNode()),
            f("connect_timeout_ms", Type.LONG, F.numberNode(UpstreamConfig.DEFAULT_CONNECT_TIMEOUT_MS)),
            f("idle_timeout_ms", Type.LONG, F.numberNode(UpstreamConfig.DEFAULT_IDLE_TIMEOUT_MS)),
            f("max_connections", Type.INT, F.numberNode(UpstreamConfig.DEFAULT_MAX_CONNECTIONS)),
            f("node", Type.BOOLEAN, F.booleanNode(false)),
            f("pool_wait_timeout_ms", Type.LONG, F.numberNode(UpstreamConfig.DEFAULT_POOL_WAIT_TIMEOUT_MS)),
            f("max_wait_queue", Type.INT, F.numberNode(UpstreamConfig.DEFAULT_MAX_WAIT_QUEUE)),
            f("max_response_bytes", Type.LONG, F.numberNode(UpstreamConfig.DEFAULT_MAX_RESPONSE_BYTES)),
            f("max_error_bytes", Type.LONG, F.numberNode(UpstreamConfig.DEFAULT_MAX_ERROR_BYTES)),
            f("max_event_bytes", Type.LONG, F.numberNode(UpstreamConfig.DEFAULT_MAX_EVENT_BYTES)),
            f("apis", Type.list(Type.STRING), F.arrayNode().add(dev.veil.protocol.api.Endpoint.API_CHAT)),
            f("attestation", Type.object(UPSTREAM_ATTESTATION)));

    static final Obj ATTESTATION = obj("attestation", GENERIC_SECRET_HINT, Set.of(),
            f("allowed_formats", Type.list(Type.STRING), F.arrayNode()),
            f("allowed_measurements", Type.list(Type.STRING), F.arrayNode()),
            f("allow_simulated", Type.BOOLEAN, F.booleanNode(false)),
            f("reattest_interval_ms", Type.LONG, F.numberNode(AttestationConfig.DEFAULT_REATTEST_INTERVAL_MS)),
            f("tdx_collateral_dir", Type.STRING),
            f("gpu_collateral_dir", Type.STRING),
            f("allowed_gpu_architectures", Type.list(Type.STRING), F.arrayNode()),
            f("min_gpus", Type.INT, F.numberNode(0)),
            f("min_gpu_driver_version", Type.STRING),
            f("min_gpu_vbios_version", Type.STRING));

    static final Obj STORE = obj("store", "username_env: NAME / password_env: NAME", Set.of("username", "user"),
            f("data_dir", Type.STRING, F.textNode(StoreConfig.DEFAULT_DATA_DIR)),
            f("jdbc_url", Type.STRING),
            f("username_env", Type.STRING),
            f("password_env", Type.STRING),
            f("pool_size", Type.INT, F.numberNode(StoreConfig.DEFAULT_POOL_SIZE)),
            f("retention_days", Type.INT, F.numberNode(StoreConfig.DEFAULT_RETENTION_DAYS)),
            f("request_log", Type.STRING, F.textNode(StoreConfig.DEFAULT_REQUEST_LOG)),
            f("audit_retention_days", Type.INT, F.numberNode(StoreConfig.DEFAULT_AUDIT_RETENTION_DAYS)),
            f("metering_flush_ms", Type.LONG, F.numberNode(StoreConfig.DEFAULT_METERING_FLUSH_MS)));

    static final Obj REDIS = obj("redis", "password_env: NAME / username_env: NAME", Set.of("username", "user"),
            f("url", Type.STRING),
            f("password_env", Type.STRING),
            f("username_env", Type.STRING),
            f("timeout_ms", Type.LONG, F.numberNode(RedisConfig.DEFAULT_TIMEOUT_MS)),
            f("fail_mode", Type.STRING, F.textNode(RedisConfig.FAIL_CLOSED)),
            f("pool_size", Type.INT, F.numberNode(RedisConfig.DEFAULT_POOL_SIZE)),
            f("tls_ca_file", Type.STRING));

    static final Obj SERVER = obj("server", "admin_token_env: NAME", Set.of(),
            f("host", Type.STRING, F.textNode(ServerConfig.DEFAULT_HOST)),
            f("port", Type.INT, F.numberNode(ServerConfig.DEFAULT_PORT)),
            f("max_body_bytes", Type.LONG, F.numberNode(ServerConfig.DEFAULT_MAX_BODY_BYTES)),
            f("admin_token_env", Type.STRING, F.textNode(ServerConfig.DEFAULT_ADMIN_TOKEN_ENV)),
            f("forward_headers", Type.list(Type.STRING), F.arrayNode()),
            f("request_header_timeout_ms", Type.LONG, F.numberNode(ServerConfig.DEFAULT_REQUEST_HEADER_TIMEOUT_MS)),
            f("request_body_timeout_ms", Type.LONG, F.numberNode(ServerConfig.DEFAULT_REQUEST_BODY_TIMEOUT_MS)),
            f("idle_timeout_ms", Type.LONG, F.numberNode(ServerConfig.DEFAULT_IDLE_TIMEOUT_MS)),
            f("max_request_line_bytes", Type.INT, F.numberNode(ServerConfig.DEFAULT_MAX_REQUEST_LINE_BYTES)),
            f("max_header_bytes", Type.INT, F.numberNode(ServerConfig.DEFAULT_MAX_HEADER_BYTES)),
            f("send_timeout_ms", Type.LONG, F.numberNode(ServerConfig.DEFAULT_SEND_TIMEOUT_MS)),
            f("body_memory_bytes", Type.LONG, F.numberNode(ServerConfig.DEFAULT_BODY_MEMORY_BYTES)),
            f("shutdown_grace_ms", Type.LONG, F.numberNode(ServerConfig.DEFAULT_SHUTDOWN_GRACE_MS)),
            f("sign_receipts", Type.STRING, F.textNode(ServerConfig.SIGN_ON_REQUEST)));

    static final Obj ROUTING = obj("routing", GENERIC_SECRET_HINT, Set.of(),
            f("max_attempts", Type.INT, F.numberNode(RoutingConfig.DEFAULT_MAX_ATTEMPTS)),
            f("backoff_ms", Type.LONG, F.numberNode(RoutingConfig.DEFAULT_BACKOFF_MS)),
            f("breaker_failures", Type.INT, F.numberNode(RoutingConfig.DEFAULT_BREAKER_FAILURES)),
            f("breaker_open_ms", Type.LONG, F.numberNode(RoutingConfig.DEFAULT_BREAKER_OPEN_MS)));

    static final Obj BATCH = obj("batch", "master_key_env: NAME or master_key_file: PATH", Set.of("master_key"),
            f("master_key_env", Type.STRING, F.textNode(BatchConfig.DEFAULT_MASTER_KEY_ENV)),
            f("master_key_file", Type.STRING),
            f("max_file_bytes", Type.LONG, F.numberNode(BatchConfig.DEFAULT_MAX_FILE_BYTES)),
            f("max_lines", Type.INT, F.numberNode(BatchConfig.DEFAULT_MAX_LINES)),
            f("output_ttl_hours", Type.INT, F.numberNode(BatchConfig.DEFAULT_OUTPUT_TTL_HOURS)),
            f("concurrency", Type.INT, F.numberNode(BatchConfig.DEFAULT_CONCURRENCY)),
            f("global_concurrency", Type.INT, F.numberNode(BatchConfig.DEFAULT_GLOBAL_CONCURRENCY)),
            f("max_active_batches", Type.INT, F.numberNode(BatchConfig.DEFAULT_MAX_ACTIVE_BATCHES)),
            f("chunk_lines", Type.INT, F.numberNode(BatchConfig.DEFAULT_CHUNK_LINES)),
            f("max_line_bytes", Type.LONG, F.numberNode(BatchConfig.DEFAULT_MAX_LINE_BYTES)),
            f("download_idle_timeout_ms", Type.LONG, F.numberNode(BatchConfig.DEFAULT_DOWNLOAD_IDLE_TIMEOUT_MS)),
            f("storage", Type.STRING, F.textNode(BatchConfig.STORAGE_LOCAL)),
            f("lease_ms", Type.LONG, F.numberNode(BatchConfig.DEFAULT_LEASE_MS)),
            f("claim_interval_ms", Type.LONG, F.numberNode(BatchConfig.DEFAULT_CLAIM_INTERVAL_MS)));

    static final Obj ROOT = obj("configuration", GENERIC_SECRET_HINT, Set.of(),
            f("server", Type.object(SERVER), F.objectNode()),
            f("store", Type.object(STORE), F.objectNode()),
            f("upstreams", Type.list(Type.object(UPSTREAM)), F.arrayNode()),
            f("models", Type.list(Type.object(MODEL)), F.arrayNode()),
            f("routing", Type.object(ROUTING), F.objectNode()),
            f("attestation", Type.object(ATTESTATION), F.objectNode()),
            f("batch", Type.object(BATCH), F.objectNode()),
            f("redis", Type.object(REDIS), F.objectNode()));

    /** Keys that are inline secrets wherever they appear (compared lower-case, '-' as '_'). */
    private static final Set<String> SECRET_KEYS = Set.of(
            "api_key", "apikey", "key", "token", "access_token", "bearer", "password", "passwd", "pwd", "secret",
            "authorization", "auth", "credential", "credentials");

    /** True when a key (that is not a known field) looks like an inline secret. */
    static boolean isSecretKey(Obj obj, String key) {
        String k = key.toLowerCase(java.util.Locale.ROOT).replace('-', '_');
        if (k.endsWith("_env")) {
            return false;
        }
        return SECRET_KEYS.contains(k) || obj.credentialKeys().contains(k)
                || k.endsWith("_key") || k.endsWith("_token") || k.endsWith("_secret")
                || k.contains("password") || k.contains("secret");
    }

    /** Header names (lower-case) that carry credentials and so may not be configured as static upstream headers. */
    static final List<String> SECRET_HEADERS = List.of(
            "authorization", "proxy-authorization", "api-key", "x-api-key", "cookie");

    /** True when a static header name looks like it carries a credential. */
    static boolean isSecretHeader(String name) {
        String n = name.toLowerCase(java.util.Locale.ROOT);
        return SECRET_HEADERS.contains(n) || n.contains("api-key") || n.contains("apikey") || n.contains("token")
                || n.contains("secret") || n.contains("password");
    }
}
