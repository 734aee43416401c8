package dev.veil.gateway.config;

import dev.veil.protocol.RequestLogMode;
import dev.veil.protocol.TeeKind;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/** The semantic checks on a bound configuration. Messages name the path and never echo secret-bearing values. */
final class Validator {

    /** Names of upstreams that are Veil nodes; routes to them have stricter rules. */
    private List<String> nodeUpstreams = List.of();
    private List<String> attestedUpstreams = List.of();


    /** An HTTP header field name (RFC 9110 token). */
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern JDBC_PASSWORD = Pattern.compile("(?i)password\\s*=");
    /** Credentials in a URL authority: {@code //user:pass@host}. */
    private static final Pattern URL_USERINFO = Pattern.compile("//[^/?#@]*:[^/?#@]*@");

    private final Problems problems;

    Validator(Problems problems) {
        this.problems = problems;
    }

    void validate(VeilConfig config) {
        server(config.server(), "server");
        store(config.store(), "store");
        Map<String, Integer> upstreamNames = new HashMap<>();
        for (int i = 0; i < config.upstreams().size(); i++) {
            upstream(config.upstreams().get(i), Problems.index("upstreams", i), upstreamNames, i);
        }
        List<String> known = config.upstreams().stream()
                .map(UpstreamConfig::name).filter(n -> n != null && !n.isBlank()).distinct().toList();
        nodeUpstreams = config.upstreams().stream().filter(UpstreamConfig::node).map(UpstreamConfig::name).toList();
        attestedUpstreams = config.upstreams().stream().filter(u -> u.attestation() != null)
                .map(UpstreamConfig::name).toList();
        Map<String, Integer> modelIds = new HashMap<>();
        for (int i = 0; i < config.models().size(); i++) {
            model(config.models().get(i), Problems.index("models", i), modelIds, i, known);
        }
        routing(config.routing(), "routing");
        attestation(config.attestation(), "attestation");
        batch(config.batch(), "batch");
        redis(config.redis(), "redis");
        clientTimeouts(config, "server");
    }

    /** The client connection's timeouts and request size limits (docs/configuration.md, "Timeouts and limits"). */
    private void clientTimeouts(VeilConfig config, String path) {
        ServerConfig server = config.server();
        if (server.requestHeaderTimeoutMs() < 1) {
            problems.add(Problems.field(path, "request_header_timeout_ms"), "must be at least 1");
        }
        if (server.requestBodyTimeoutMs() < 1) {
            problems.add(Problems.field(path, "request_body_timeout_ms"), "must be at least 1");
        }
        if (server.idleTimeoutMs() < 0) {
            problems.add(Problems.field(path, "idle_timeout_ms"), "must be 0 (off) or more");
        } else if (server.idleTimeoutMs() > 0) {
            for (UpstreamConfig upstream : config.upstreams()) {
                if (upstream.idleTimeoutMs() > server.idleTimeoutMs()) {
                    problems.add(Problems.field(path, "idle_timeout_ms"), "must be at least every upstream's "
                            + "idle_timeout_ms (upstream '" + upstream.name() + "' waits " + upstream.idleTimeoutMs()
                            + " ms), or a stream waiting for its first token is cut; raise it or set 0 (off)");
                    break;
                }
            }
        }
        if (server.maxRequestLineBytes() < 256) {
            problems.add(Problems.field(path, "max_request_line_bytes"), "must be at least 256");
        }
        if (server.maxHeaderBytes() < 1024) {
            problems.add(Problems.field(path, "max_header_bytes"), "must be at least 1024");
        }
        if (server.bodyMemoryBytes() != 0 && server.bodyMemoryBytes() < server.maxBodyBytes()) {
            // A request body of the largest allowed size must fit the budget alone, or it is refused on every try.
            // (An upstream answer larger than the whole budget is refused as too large; see UpstreamBody.)
            problems.add(Problems.field(path, "body_memory_bytes"), "must be 0 (half the heap) or at least max_body_bytes ("
                    + server.maxBodyBytes() + "): a body of the largest allowed size must fit");
        }
        if (server.sendTimeoutMs() < 100) {
            problems.add(Problems.field(path, "send_timeout_ms"), "must be at least 100");
        }
        if (server.shutdownGraceMs() < 0 || server.shutdownGraceMs() > 3_600_000) {
            problems.add(Problems.field(path, "shutdown_grace_ms"), "must be between 0 and 3600000 (one hour)");
        }
        if (!ServerConfig.SIGN_ON_REQUEST.equals(server.signReceipts())
                && !ServerConfig.SIGN_ALWAYS.equals(server.signReceipts())) {
            problems.add(Problems.field(path, "sign_receipts"), "must be on_request (a receipt is signed when the request "
                    + "sends x-veil-sign-receipt: true) or always (every receipt, about 40 µs of CPU each)");
        }
    }

    private void batch(BatchConfig batch, String path) {
        envName(batch.masterKeyEnv(), Problems.field(path, "master_key_env"), true);
        if (batch.masterKeyFile() != null && batch.masterKeyFile().isBlank()) {
            problems.add(Problems.field(path, "master_key_file"), "must not be empty; leave it out instead");
        }
        if (batch.maxFileBytes() < 1) {
            problems.add(Problems.field(path, "max_file_bytes"), "must be at least 1");
        }
        if (batch.maxLines() < 1) {
            problems.add(Problems.field(path, "max_lines"), "must be at least 1");
        }
        if (batch.outputTtlHours() < 1 || batch.outputTtlHours() > 24 * 30) {
            problems.add(Problems.field(path, "output_ttl_hours"), "must be between 1 and 720 (30 days)");
        }
        if (batch.concurrency() < 1 || batch.concurrency() > 256) {
            problems.add(Problems.field(path, "concurrency"), "must be between 1 and 256");
        }
        if (batch.globalConcurrency() < 1 || batch.globalConcurrency() > 4096) {
            problems.add(Problems.field(path, "global_concurrency"), "must be between 1 and 4096");
        }
        if (batch.maxActiveBatches() < 1 || batch.maxActiveBatches() > 256) {
            problems.add(Problems.field(path, "max_active_batches"), "must be between 1 and 256");
        }
        if (batch.chunkLines() < 1 || batch.chunkLines() > 10_000) {
            problems.add(Problems.field(path, "chunk_lines"), "must be between 1 and 10000");
        }
        if (batch.maxLineBytes() < 1024 || batch.maxLineBytes() > Integer.MAX_VALUE / 2) {
            problems.add(Problems.field(path, "max_line_bytes"), "must be between 1024 and 1073741823 (1 GiB)");
        }
        if (batch.downloadIdleTimeoutMs() < 100 || batch.downloadIdleTimeoutMs() > 3_600_000) {
            problems.add(Problems.field(path, "download_idle_timeout_ms"), "must be between 100 and 3600000 (1 hour)");
        }
        if (!BatchConfig.STORAGE_LOCAL.equals(batch.storage()) && !BatchConfig.STORAGE_DATABASE.equals(batch.storage())) {
            problems.add(Problems.field(path, "storage"), "must be \"local\" (files under <data_dir>/files/, one instance) "
                    + "or \"database\" (files in the store, readable by every instance)");
        }
        if (batch.leaseMs() < 1_000 || batch.leaseMs() > 600_000) {
            problems.add(Problems.field(path, "lease_ms"), "must be between 1000 and 600000 (10 minutes)");
        }
        if (batch.claimIntervalMs() < 100 || batch.claimIntervalMs() > 600_000) {
            problems.add(Problems.field(path, "claim_interval_ms"), "must be between 100 and 600000 (10 minutes)");
        }
    }

    private static boolean declaresE2ee(PolicyConfig policy) {
        try {
            return policy.toDataPolicy().mode() == dev.veil.protocol.PrivacyMode.E2EE;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private void attestation(AttestationConfig attestation, String path) {
        List<String> formats = attestation.allowedFormats();
        for (int i = 0; i < formats.size(); i++) {
            if (!List.of("sev-snp", "tdx", "simulated").contains(formats.get(i))) {
                problems.add(Problems.index(Problems.field(path, "allowed_formats"), i),
                        "must be one of sev-snp, tdx, simulated");
            }
        }
        List<String> measurements = attestation.allowedMeasurements();
        for (int i = 0; i < measurements.size(); i++) {
            if (measurements.get(i) == null || !measurements.get(i).matches("[0-9a-fA-F]{16,256}")) {
                problems.add(Problems.index(Problems.field(path, "allowed_measurements"), i), "must be a hex measurement");
            }
        }
        if (formats.contains("simulated") && !attestation.allowSimulated()) {
            problems.add(Problems.field(path, "allowed_formats"),
                    "lists simulated, but allow_simulated is false; set allow_simulated: true to accept simulated evidence");
        }
        if (attestation.reattestIntervalMs() < 1_000) {
            problems.add(Problems.field(path, "reattest_interval_ms"), "must be at least 1000");
        }
        List<String> architectures = attestation.allowedGpuArchitectures();
        for (int i = 0; i < architectures.size(); i++) {
            try {
                dev.veil.protocol.attestation.nvidia.GpuArchitecture.parse(architectures.get(i));
            } catch (IllegalArgumentException e) {
                problems.add(Problems.index(Problems.field(path, "allowed_gpu_architectures"), i), e.getMessage());
            }
        }
        try {
            dev.veil.protocol.attestation.nvidia.GpuPolicy.DEFAULT.withMinimumVersions(attestation.minGpuDriverVersion(),
                    null);
        } catch (IllegalArgumentException e) {
            problems.add(Problems.field(path, "min_gpu_driver_version"), e.getMessage());
        }
        try {
            dev.veil.protocol.attestation.nvidia.GpuPolicy.DEFAULT.withMinimumVersions(null,
                    attestation.minGpuVbiosVersion());
        } catch (IllegalArgumentException e) {
            problems.add(Problems.field(path, "min_gpu_vbios_version"), e.getMessage());
        }
        int maxGpus = dev.veil.protocol.attestation.GpuReport.MAX_PER_NODE;
        if (attestation.minGpus() < 0 || attestation.minGpus() > maxGpus) {
            problems.add(Problems.field(path, "min_gpus"), "must be between 0 and " + maxGpus);
        }
    }

    private void routing(RoutingConfig routing, String path) {
        if (routing.maxAttempts() < 1 || routing.maxAttempts() > 10) {
            problems.add(Problems.field(path, "max_attempts"), "must be between 1 and 10");
        }
        if (routing.backoffMs() < 0) {
            problems.add(Problems.field(path, "backoff_ms"), "must be at least 0");
        }
        if (routing.breakerFailures() < 1) {
            problems.add(Problems.field(path, "breaker_failures"), "must be at least 1");
        }
        if (routing.breakerOpenMs() < 1) {
            problems.add(Problems.field(path, "breaker_open_ms"), "must be at least 1");
        }
    }

    private void server(ServerConfig server, String path) {
        if (isBlank(server.host())) {
            problems.add(Problems.field(path, "host"), "must not be empty");
        }
        if (server.port() < 0 || server.port() > 65535) {
            problems.add(Problems.field(path, "port"), "must be between 0 and 65535 (0 picks a free port)");
        }
        if (server.maxBodyBytes() <= 0) {
            problems.add(Problems.field(path, "max_body_bytes"), "must be greater than 0");
        }
        envName(server.adminTokenEnv(), Problems.field(path, "admin_token_env"), true);
        List<String> headers = server.forwardHeaders();
        for (int i = 0; i < headers.size(); i++) {
            String header = headers.get(i);
            String p = Problems.index(Problems.field(path, "forward_headers"), i);
            if (header.isEmpty() || !HEADER_NAME.matcher(header).matches()) {
                problems.add(p, "not a valid header name");
            } else if (ServerConfig.NEVER_FORWARDED.contains(header)) {
                problems.add(p, "'" + header + "' is never forwarded to upstreams; these headers are never "
                        + "forwarded: " + String.join(", ", ServerConfig.NEVER_FORWARDED));
            }
        }
    }

    private void store(StoreConfig store, String path) {
        if (isBlank(store.dataDir())) {
            problems.add(Problems.field(path, "data_dir"), "must not be empty");
        }
        String url = store.jdbcUrl();
        String urlPath = Problems.field(path, "jdbc_url");
        if (url != null) {
            if (JDBC_PASSWORD.matcher(url).find() || URL_USERINFO.matcher(url).find()) {
                problems.add(urlPath, "must not contain a password; secrets must be given by environment reference "
                        + "(password_env: NAME, username_env: NAME)");
            } else if (!url.startsWith("jdbc:")) {
                problems.add(urlPath, "must be a JDBC URL starting with 'jdbc:' (e.g. jdbc:postgresql://db:5432/veil),"
                        + " or be left out for SQLite in data_dir");
            }
        }
        envName(store.usernameEnv(), Problems.field(path, "username_env"), false);
        envName(store.passwordEnv(), Problems.field(path, "password_env"), false);
        if (store.meteringFlushMs() < 1 || store.meteringFlushMs() > 1_000) {
            problems.add(Problems.field(path, "metering_flush_ms"), "must be between 1 and 1000 (milliseconds)");
        }
        if (store.poolSize() < 1) {
            problems.add(Problems.field(path, "pool_size"), "must be at least 1");
        }
        if (store.retentionDays() < 1) {
            problems.add(Problems.field(path, "retention_days"), "must be at least 1");
        }
        if (store.auditRetentionDays() < 0) {
            problems.add(Problems.field(path, "audit_retention_days"), "must be at least 0 (0 keeps every entry)");
        }
        try {
            store.requestLogMode();
        } catch (IllegalArgumentException e) {
            problems.add(Problems.field(path, "request_log"), "must be one of " + RequestLogMode.WIRE_NAMES);
        }
    }

    private void redis(RedisConfig redis, String path) {
        String url = redis.url();
        String urlPath = Problems.field(path, "url");
        if (url != null) {
            if (URL_USERINFO.matcher(url).find() || url.matches("(?s)^[a-z]+://[^/?#@]*@.*")) {
                problems.add(urlPath, "must not contain a user or password; secrets must be given by environment "
                        + "reference (password_env: NAME, username_env: NAME)");
            } else if (!url.startsWith("redis://") && !url.startsWith("rediss://")) {
                problems.add(urlPath, "must be a redis:// or rediss:// URL (e.g. redis://valkey:6379), or be left out "
                        + "to count limits in each instance's memory");
            }
        }
        envName(redis.passwordEnv(), Problems.field(path, "password_env"), false);
        envName(redis.usernameEnv(), Problems.field(path, "username_env"), false);
        if (redis.timeoutMs() < 1 || redis.timeoutMs() > 10_000) {
            problems.add(Problems.field(path, "timeout_ms"), "must be between 1 and 10000");
        }
        if (!RedisConfig.FAIL_CLOSED.equals(redis.failMode()) && !RedisConfig.FAIL_OPEN.equals(redis.failMode())) {
            problems.add(Problems.field(path, "fail_mode"), "must be fail_closed (keys with limits are refused with 503 "
                    + "while Redis is unreachable) or fail_open (each instance counts in its own memory meanwhile)");
        }
        if (redis.poolSize() < 1 || redis.poolSize() > 256) {
            problems.add(Problems.field(path, "pool_size"), "must be between 1 and 256");
        }
        if (redis.tlsCaFile() != null) {
            String caPath = Problems.field(path, "tls_ca_file");
            if (!redis.tls()) {
                problems.add(caPath, "applies only to a rediss:// url (TLS); use rediss:// or leave it out");
            } else if (!readableFile(redis.tlsCaFile())) {
                problems.add(caPath, "cannot be read: give the path of a PEM file of CA certificates");
            }
        }
    }

    private static boolean readableFile(String path) {
        try {
            return java.nio.file.Files.isRegularFile(java.nio.file.Path.of(path))
                    && java.nio.file.Files.isReadable(java.nio.file.Path.of(path));
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
    }

    private void upstream(UpstreamConfig upstream, String path, Map<String, Integer> seen, int index) {
        String name = upstream.name();
        if (isBlank(name)) {
            problems.add(Problems.field(path, "name"), "required; every upstream needs a non-empty name");
        } else {
            Integer first = seen.putIfAbsent(name, index);
            if (first != null) {
                problems.add(Problems.field(path, "name"), "duplicate upstream name '" + name + "' (also upstreams["
                        + first + "])");
            }
        }
        baseUrl(upstream.baseUrl(), Problems.field(path, "base_url"));
        envName(upstream.apiKeyEnv(), Problems.field(path, "api_key_env"), false);
        apis(upstream, path);
        Map<String, String> lowerSeen = new HashMap<>();
        for (Map.Entry<String, String> header : upstream.headers().entrySet()) {
            String key = header.getKey();
            String p = Problems.field(Problems.field(path, "headers"), key);
            String lower = key.toLowerCase(Locale.ROOT);
            if (Schema.isSecretHeader(key)) {
                problems.add(p, "credential headers must not be written in the configuration; secrets must be given "
                        + "by environment reference (api_key_env: NAME)");
            } else if (!HEADER_NAME.matcher(key).matches()) {
                problems.add(p, "not a valid header name");
            } else if (ServerConfig.NEVER_FORWARDED.contains(lower)) {
                problems.add(p, "Veil sets this header itself; it cannot be configured");
            } else if (lowerSeen.putIfAbsent(lower, key) != null) {
                problems.add(p, "duplicate header (header names are case-insensitive)");
            }
            String value = header.getValue();
            if (value != null && (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0 || value.indexOf(0) >= 0)) {
                problems.add(p, "header values must not contain line breaks or NUL");
            }
        }
        if (upstream.connectTimeoutMs() < 1) {
            problems.add(Problems.field(path, "connect_timeout_ms"), "must be at least 1");
        }
        if (upstream.idleTimeoutMs() < 1) {
            problems.add(Problems.field(path, "idle_timeout_ms"), "must be at least 1");
        }
        if (upstream.maxConnections() < 1) {
            problems.add(Problems.field(path, "max_connections"), "must be at least 1");
        }
        upstreamLimits(upstream, path);
        if (upstream.attestation() != null) {
            providerAttestation(upstream, Problems.field(path, "attestation"));
        }
    }

    /** {@code upstreams[].attestation}: how a hosted provider's TEE claim is verified. */
    private void providerAttestation(UpstreamConfig upstream, String path) {
        ProviderAttestationConfig a = upstream.attestation();
        if (!ProviderAttestationConfig.KIND_DSTACK.equals(a.kind())) {
            problems.add(Problems.field(path, "kind"), "required; must be dstack (a report with a TDX quote, event log,"
                    + " GPU evidence and signing address, as NEAR AI, Phala/RedPill and Venice serve it)");
        }
        if (upstream.node()) {
            problems.add(path, "a Veil node is attested by its own evidence (attestation: in the gateway's settings);"
                    + " leave upstreams[].attestation out on node: true upstreams");
        }
        if (a.url() != null) {
            baseUrl(a.url(), Problems.field(path, "url"));
        }
        if (isBlank(a.model())) {
            problems.add(Problems.field(path, "model"), "required; the provider's model name the report is asked for");
        }
        if (!"ecdsa".equals(a.signingAlgo()) && !"ed25519".equals(a.signingAlgo())) {
            problems.add(Problems.field(path, "signing_algo"), "must be ecdsa or ed25519");
        }
        if (a.intervalMs() < 1_000) {
            problems.add(Problems.field(path, "interval_ms"), "must be at least 1000");
        }
        if (a.timeoutMs() < 100 || a.timeoutMs() > 120_000) {
            problems.add(Problems.field(path, "timeout_ms"), "must be between 100 and 120000");
        }
        range(a.maxBytes(), 1_024, dev.veil.protocol.attestation.dstack.DstackReport.MAX_SIZE, path, "max_bytes");
        if (!ProviderAttestationConfig.ON_FAILURE_DOWNGRADE.equals(a.onFailure())
                && !ProviderAttestationConfig.ON_FAILURE_EXCLUDE.equals(a.onFailure())) {
            problems.add(Problems.field(path, "on_failure"), "must be downgrade (served without the TEE claim) or"
                    + " exclude (not served)");
        }
        if (a.minGpus() < 0 || a.minGpus() > 64) {
            problems.add(Problems.field(path, "min_gpus"), "must be between 0 and 64");
        }
        hexList(a.allowedMeasurements(), 48, Problems.field(path, "allowed_measurements"));
        hexList(a.allowedComposeHashes(), 32, Problems.field(path, "allowed_compose_hashes"));
    }

    private void hexList(List<String> values, int bytes, String path) {
        for (String v : values) {
            if (v == null || v.length() != 2 * bytes || !v.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                problems.add(path, "must list " + 2 * bytes + "-character hex values");
                return;
            }
        }
    }

    /** The API families an upstream speaks: known names, at least one, and only {@code chat} for a Veil node. */
    private void apis(UpstreamConfig upstream, String path) {
        java.util.Set<String> known = new java.util.TreeSet<>();
        dev.veil.protocol.api.Endpoint.ALL.forEach(e -> known.add(e.api()));
        String p = Problems.field(path, "apis");
        if (upstream.apis().isEmpty()) {
            problems.add(p, "must name at least one API the upstream speaks: " + String.join(", ", known));
        }
        for (String api : upstream.apis()) {
            if (api == null || !known.contains(api)) {
                problems.add(p, "unknown API; the known ones are " + String.join(", ", known));
            } else if (upstream.node() && !api.equals(dev.veil.protocol.api.Endpoint.API_CHAT)) {
                problems.add(p, "a Veil node serves only the chat API (chat completions, completions, embeddings)");
            }
        }
    }

    /** The pool wait and the size caps of an upstream's answers. */
    private void upstreamLimits(UpstreamConfig upstream, String path) {
        if (upstream.poolWaitTimeoutMs() < 1) {
            problems.add(Problems.field(path, "pool_wait_timeout_ms"), "must be at least 1");
        }
        if (upstream.maxWaitQueue() < 0) {
            problems.add(Problems.field(path, "max_wait_queue"), "must be 0 (no waiting) or more");
        }
        range(upstream.maxResponseBytes(), 1_024, 1L << 30, path, "max_response_bytes");
        range(upstream.maxErrorBytes(), 1_024, 1L << 20, path, "max_error_bytes");
        range(upstream.maxEventBytes(), 1_024, 64L << 20, path, "max_event_bytes");
    }

    private void range(long value, long min, long max, String path, String field) {
        if (value < min || value > max) {
            problems.add(Problems.field(path, field), "must be between " + min + " and " + max + " bytes");
        }
    }

    private void baseUrl(String url, String path) {
        if (isBlank(url)) {
            problems.add(path, "required; the upstream's OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1");
            return;
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            uri = null;
        }
        if (URL_USERINFO.matcher(url).find() || (uri != null && uri.getRawUserInfo() != null)) {
            problems.add(path, "must not contain credentials; secrets must be given by environment reference "
                    + "(api_key_env: NAME)");
            return;
        }
        if (uri == null) {
            problems.add(path, "not a valid URL; expected an absolute http:// or https:// URL such as "
                    + "http://127.0.0.1:8000/v1");
            return;
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!uri.isAbsolute() || !("http".equals(scheme) || "https".equals(scheme))) {
            problems.add(path, "must be an absolute http:// or https:// URL such as http://127.0.0.1:8000/v1");
        } else if (uri.getHost() == null || uri.getHost().isEmpty()) {
            problems.add(path, "has no valid host; expected an absolute http:// or https:// URL such as "
                    + "http://127.0.0.1:8000/v1");
        } else if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            problems.add(path, "must not contain a query or fragment (secrets in URLs are not allowed; use "
                    + "api_key_env: NAME)");
        }
    }

    private void model(ModelConfig model, String path, Map<String, Integer> seen, int index, List<String> known) {
        String id = model.id();
        if (isBlank(id)) {
            problems.add(Problems.field(path, "id"), "required; every model needs a non-empty id");
        } else {
            Integer first = seen.putIfAbsent(id, index);
            if (first != null) {
                problems.add(Problems.field(path, "id"), "duplicate model id '" + id + "' (also models[" + first
                        + "])");
            }
        }
        if (isBlank(model.ownedBy())) {
            problems.add(Problems.field(path, "owned_by"), "must not be empty");
        }
        String routesPath = Problems.field(path, "routes");
        if (model.routes().isEmpty()) {
            problems.add(routesPath, "at least one route is required");
        }
        Map<String, Integer> routeNames = new HashMap<>();
        for (int i = 0; i < model.routes().size(); i++) {
            route(model.routes().get(i), Problems.index(routesPath, i), routeNames, i, known, routesPath);
        }
    }

    private void route(RouteConfig route, String path, Map<String, Integer> seen, int index, List<String> known,
                       String routesPath) {
        String upstream = route.upstream();
        if (isBlank(upstream)) {
            problems.add(Problems.field(path, "upstream"), "required; the name of an upstream (known: "
                    + knownList(known) + ")");
        } else if (!known.contains(upstream)) {
            problems.add(Problems.field(path, "upstream"), "unknown upstream '" + upstream + "' (known: "
                    + knownList(known) + ")");
        }
        String name = route.name();
        if (name != null) {
            if (name.isBlank()) {
                problems.add(Problems.field(path, "name"), "must not be empty");
            } else {
                Integer first = seen.putIfAbsent(name, index);
                if (first != null) {
                    problems.add(Problems.field(path, "name"), "duplicate route name '" + name + "' (also "
                            + Problems.index(routesPath, first) + "); route names default to the upstream name, so "
                            + "give each route to the same upstream its own name");
                }
            }
        }
        if (route.model() != null && route.model().isBlank()) {
            problems.add(Problems.field(path, "model"), "must not be empty");
        }
        if (route.weight() < 1) {
            problems.add(Problems.field(path, "weight"), "must be at least 1");
        }
        if (route.tokenizer() != null && dev.veil.tokens.Tokenizer.named(route.tokenizer()).isEmpty()) {
            problems.add(Problems.field(path, "tokenizer"), "unknown tokenizer '" + route.tokenizer() + "'; must be one of "
                    + dev.veil.tokens.Tokenizer.acceptedNames() + " (none = one token per four bytes, marked estimated)");
        }
        String pricePath = Problems.field(path, "price");
        price(route.price().inputPerMillion(), Problems.field(pricePath, "input_per_million"));
        price(route.price().outputPerMillion(), Problems.field(pricePath, "output_per_million"));
        PolicyConfig policy = route.policy();
        String policyPath = Problems.field(path, "policy");
        if (policy.retentionDays() != null && policy.retentionDays() < 0) {
            problems.add(Problems.field(policyPath, "retention_days"), "must be at least 0 (0 = not retained)");
        }
        if (policy.tee() != null) {
            try {
                TeeKind.fromWireName(policy.tee());
            } catch (IllegalArgumentException e) {
                problems.add(Problems.field(policyPath, "tee"), "must be one of none, sev-snp, tdx, simulated");
            }
        }
        if (attestedUpstreams.contains(upstream) && policy.tee() != null && !policy.tee().equals("tdx")
                && !policy.tee().equals("none")) {
            problems.add(Problems.field(policyPath, "tee"), "the upstream's attestation verifies an Intel TDX claim"
                    + " (kind: dstack); declare tee: tdx");
        }
        forwarding(route, path, nodeUpstreams.contains(upstream));
        if (nodeUpstreams.contains(upstream) && !declaresE2ee(policy)) {
            problems.add(policyPath, "a route to a Veil node must declare the node's TEE (tee: sev-snp, tdx or simulated), "
                    + "e2ee: true, trains: false and zero retention; the node's attestation is checked against it");
        }
    }

    /** {@code forward_fields} and {@code store}: what the route may receive beyond the documented request fields. */
    private void forwarding(RouteConfig route, String path, boolean node) {
        String fieldsPath = Problems.field(path, "forward_fields");
        for (String field : route.forwardFields()) {
            if (field == null || field.isBlank()) {
                problems.add(fieldsPath, "must list non-empty field names");
            } else if (dev.veil.protocol.policy.RequestFields.ROUTING.contains(field)
                    || field.equals("model") || field.equals(dev.veil.protocol.policy.RequestFields.STORE)) {
                problems.add(fieldsPath, "'" + field + "' cannot be forwarded as sent: routing fields never leave Veil, "
                        + "model is always the route's model and store is governed by the route's store setting");
            }
        }
        if (node && !route.forwardFields().isEmpty()) {
            problems.add(fieldsPath, "a Veil node forwards only the documented request fields to its engine and never "
                    + "identity fields; leave forward_fields out on node routes");
        }
        String storePath = Problems.field(path, "store");
        if (!RouteConfig.STORE_FORCE_FALSE.equals(route.store()) && !RouteConfig.STORE_REFUSE.equals(route.store())) {
            problems.add(storePath, "must be force_false (store is sent as false) or refuse (requests asking store: true "
                    + "may not use this route)");
        } else if (RouteConfig.STORE_REFUSE.equals(route.store()) && route.policy().toDataPolicy().zeroRetention()) {
            problems.add(storePath, "a zero-retention route always has store forced to false; leave store out or set "
                    + "force_false");
        }
    }

    private void price(double value, String path) {
        if (Double.isNaN(value) || Double.isInfinite(value) || value < 0) {
            problems.add(path, "must be a finite number of at least 0 (USD per million tokens)");
        }
    }

    /** Checks an *_env field: the NAME of a variable, never a value. */
    private void envName(String name, String path, boolean required) {
        if (name == null) {
            return;
        }
        if (name.isBlank()) {
            problems.add(path, required ? "must not be empty" : "must not be empty; leave it out instead");
        } else if (!EnvRef.NAME.matcher(name).matches()) {
            problems.add(path, "must be the NAME of an environment variable (letters, digits and underscores), "
                    + "not the secret itself");
        }
    }

    private static String knownList(List<String> known) {
        return known.isEmpty() ? "none" : String.join(", ", known);
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
