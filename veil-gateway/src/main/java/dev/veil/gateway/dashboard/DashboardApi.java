package dev.veil.gateway.dashboard;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.veil.gateway.auth.KeyAuthenticator;
import dev.veil.gateway.http.BodyReader;
import dev.veil.gateway.http.Exchange;
import dev.veil.gateway.http.QueryParams;
import dev.veil.gateway.http.Replies;
import dev.veil.gateway.http.Responses;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.limits.KeyLimits;
import dev.veil.gateway.metering.MetadataMinimisation;
import dev.veil.gateway.metering.UsageReport;
import dev.veil.gateway.nodes.NodeRegistry;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.gateway.openai.ModelListWriter;
import dev.veil.gateway.routing.Model;
import dev.veil.gateway.routing.ModelCatalog;
import dev.veil.gateway.routing.Route;
import dev.veil.gateway.routing.RouteHealth;
import dev.veil.gateway.routing.RouteStats;
import dev.veil.protocol.KeyPolicyJson;
import dev.veil.protocol.OpenAiError;
import dev.veil.store.ApiKeyRecord;
import dev.veil.store.BatchRecord;
import dev.veil.store.DashboardSession;
import dev.veil.store.RequestLogQuery;
import dev.veil.store.RequestRecord;
import dev.veil.store.RequestTotal;
import dev.veil.store.Store;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The dashboard: its pages at {@code /ui} (see {@link DashboardAssets}), login and logout, and the JSON endpoints its
 * pages read: the operator's {@code /v1/admin/usage}, {@code /requests}, {@code /routes}, {@code /batches}, and a key owner's {@code /v1/key}. Every endpoint answers metadata only (what the store and the
 * gateway's memory hold about requests, never their content), with OpenAI-shaped errors.
 */
public final class DashboardApi {

    /** Paths this class answers under {@code /v1/admin/}. */
    public static final String ADMIN_PREFIX = "/v1/admin/";
    /** At most this many rows per page of the request log or the batches. */
    static final int MAX_PAGE = 200;
    /** The usage summary reads at most this many request-log rows (the newest); it says when it stopped there. */
    static final long MAX_SCANNED_ROWS = 1_000_000;
    /** The request log filter may span at most this long. */
    static final Duration MAX_LOG_SPAN = Duration.ofDays(366);

    private static final Pattern NAME = Pattern.compile("[\\p{Graph} ]{1,256}");
    private static final Pattern CURSOR = Pattern.compile("(\\d{1,15})\\.(req_[0-9a-f]{32})");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /** Everything the dashboard reads, wired by the gateway. */
    public record Parts(DashboardAccess access, KeyAuthenticator authenticator, Store store, WorkerExecutor jdbc,
                        ModelCatalog catalog, RouteHealth health, NodeRegistry nodes, KeyLimits limits,
                        MetadataMinimisation minimisation, UsageReport usageReport, JsonFactory jsonFactory,
                        Replies replies, dev.veil.gateway.metering.RequestMeter meter, Clock clock) {
    }

    private final Parts parts;
    private final DashboardAccess access;
    private final DashboardSessions sessions;
    private final LoginThrottle throttle = new LoginThrottle();
    private final DashboardAssets assets;
    private final JsonWriter json;
    private final Replies replies;

    public DashboardApi(Parts parts) {
        this.parts = parts;
        this.access = parts.access();
        this.sessions = parts.access().sessions();
        this.assets = DashboardAssets.load();
        this.json = new JsonWriter(parts.jsonFactory());
        this.replies = parts.replies();
    }

    /** Whether {@code path} is the dashboard's: its pages, assets and session calls. */
    public static boolean servesUi(String path) {
        return path.equals("/ui") || path.startsWith("/ui/");
    }

    /** {@code /ui}, {@code /ui/...}: pages and assets, {@code /ui/login}, {@code /ui/logout}, {@code /ui/session}. */
    public void handleUi(Exchange exchange) {
        exchange.endpoint("dashboard");
        HttpServerRequest request = exchange.request();
        HttpServerResponse response = exchange.response();
        DashboardAssets.secureHeaders(response);
        switch (request.path()) {
            case "/ui/login" -> only(exchange, HttpMethod.POST, () -> login(exchange));
            case "/ui/logout" -> only(exchange, HttpMethod.POST, () -> logout(exchange));
            case "/ui/session" -> only(exchange, HttpMethod.GET, () -> session(exchange));
            default -> {
                if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
                    replies.methodNotAllowed(exchange, "GET");
                    return;
                }
                DashboardAssets.Asset asset = assets.find(request.path());
                if (asset == null) {
                    replies.error(exchange, new OpenAiError(404, "No such dashboard page; open /ui.",
                            OpenAiError.INVALID_REQUEST, null, "unknown_url"));
                    return;
                }
                parts.meter().complete(exchange, 200);
                assets.send(response, request.method() == HttpMethod.HEAD, asset);
            }
        }
    }

    /**
     * {@code /v1/admin/...}: the operator's read-only views; {@code false} when the path is not one of them (the node
     * network's {@code /v1/admin/nodes} and join tokens are {@code NodeNetworkApi}'s).
     */
    public boolean handleAdmin(Exchange exchange) {
        String path = exchange.request().path();
        String view = path.substring(ADMIN_PREFIX.length());
        if (!List.of("usage", "requests", "routes", "batches").contains(view)) {
            return false;
        }
        exchange.endpoint("admin");
        noStore(exchange.response());
        if (exchange.request().method() != HttpMethod.GET) {
            replies.methodNotAllowed(exchange, "GET");
            return true;
        }
        access.operator(exchange.request()).compose(ok -> {
            QueryParams query;
            try {
                query = QueryParams.of(exchange.request());
                return switch (view) {
                    case "usage" -> usage(query, null);
                    case "requests" -> requests(query);
                    case "routes" -> Future.succeededFuture(routes());
                    default -> batches(query, optionalId(query, "key"), true);
                };
            } catch (InvalidRequestException e) {
                return Future.failedFuture(e);
            }
        }).onSuccess(body -> replies.ok(exchange, body)).onFailure(f -> replies.failWith(exchange, f));
        return true;
    }

    /**
     * {@code GET /v1/key}: the calling key's own record, policy, limits, budget and request-log settings; with
     * {@code ?view=usage} its usage summary (as {@code /v1/admin/usage} for this key only) and with
     * {@code ?view=batches} its batches. A key sees nothing of any other key.
     */
    public void handleKey(Exchange exchange) {
        exchange.endpoint("key");
        noStore(exchange.response());
        if (exchange.request().method() != HttpMethod.GET) {
            replies.methodNotAllowed(exchange, "GET");
            return;
        }
        access.key(exchange.request()).compose(key -> {
            exchange.key(key);
            try {
                QueryParams query = QueryParams.of(exchange.request());
                String view = query.get("view");
                if (view == null) {
                    return ownKey(key);
                }
                return switch (view) {
                    case "usage" -> usage(query, key.id());
                    case "batches" -> batches(query, key.id(), false);
                    default -> Future.failedFuture(DashboardErrors.invalid(
                            "view must be usage or batches (or absent for the key itself).", "view"));
                };
            } catch (InvalidRequestException e) {
                return Future.failedFuture(e);
            }
        }).onSuccess(body -> replies.ok(exchange, body)).onFailure(f -> replies.failWith(exchange, f));
    }

    // ---- login, logout, session ------------------------------------------------------------------------------

    private void login(Exchange exchange) {
        HttpServerRequest request = exchange.request();
        String contentType = request.getHeader("content-type");
        if (contentType == null || !contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            // A cross-site form cannot send JSON without a CORS preflight, which Veil never grants.
            replies.error(exchange, new OpenAiError(415, "Send the login as JSON: {\"token\": \"...\"} with "
                    + "Content-Type: application/json.", OpenAiError.INVALID_REQUEST, null, "unsupported_media_type"));
            return;
        }
        String address = request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
        if (!throttle.tryAttempt(address)) {
            exchange.response().putHeader("retry-after", "60");
            replies.error(exchange, new OpenAiError(429, "Too many login attempts; wait a minute and try again.",
                    OpenAiError.RATE_LIMIT, null, "too_many_login_attempts"));
            return;
        }
        BodyReader.read(request, 4_096).compose(body -> {
            String token;
            try {
                token = tokenOf(body);
            } catch (InvalidRequestException e) {
                return Future.failedFuture(e);
            }
            if (access.admin().disabled().isEmpty() && access.admin().authorize("Bearer " + token).isEmpty()) {
                return sessions.begin(DashboardSession.OPERATOR, null);
            }
            return parts.authenticator().authenticate("Bearer " + token)
                    .compose(key -> sessions.begin(DashboardSession.KEY_OWNER, key.id()))
                    .recover(failure -> {
                        throttle.failed();
                        return Future.failedFuture(new InvalidRequestException(new OpenAiError(401, "That is neither "
                                + "the admin token nor an active API key.", OpenAiError.AUTHENTICATION, "token",
                                "invalid_credentials")));
                    });
        }).onSuccess(started -> {
            exchange.response().addCookie(DashboardSessions.sessionCookie(started.id(), request));
            replies.ok(exchange, sessionJson(started.id(), started.session()));
        }).onFailure(f -> replies.failWith(exchange, f));
    }

    private void logout(Exchange exchange) {
        HttpServerRequest request = exchange.request();
        // A session that is already gone (expired, unknown) still gets its cookie cleared.
        sessions.resolve(request).recover(gone -> Future.succeededFuture(java.util.Optional.empty())).compose(found -> {
            if (found.isEmpty()) {
                return Future.succeededFuture(false);
            }
            if (!found.get().csrfMatches(request.getHeader(DashboardSessions.CSRF_HEADER))) {
                return Future.failedFuture(DashboardErrors.csrf());
            }
            return sessions.end(found.get().id());
        }).onSuccess(ended -> {
            exchange.response().addCookie(DashboardSessions.clearingCookie(request));
            replies.ok(exchange, "{\"logged_out\":true}".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }).onFailure(f -> replies.failWith(exchange, f));
    }

    private void session(Exchange exchange) {
        noStore(exchange.response());
        sessions.resolve(exchange.request()).compose(found -> found.isPresent() ? Future.succeededFuture(found.get())
                        : Future.failedFuture(new InvalidRequestException(new OpenAiError(401, "Not logged in; POST "
                        + "/ui/login with the admin token or an API key.", OpenAiError.AUTHENTICATION, null, "no_session"))))
                .onSuccess(s -> replies.ok(exchange, sessionJson(s.id(), s.session())))
                .onFailure(f -> replies.failWith(exchange, f));
    }

    private byte[] sessionJson(String id, DashboardSession session) {
        return json.write(g -> {
            g.writeStartObject();
            g.writeStringField("object", "dashboard.session");
            g.writeStringField("role", session.role());
            g.writeStringField("key_id", session.keyId());
            g.writeStringField("csrf_token", DashboardSessions.csrfToken(id));
            g.writeStringField("expires_at", session.expiresAt().toString());
            g.writeEndObject();
        });
    }

    private String tokenOf(byte[] body) throws InvalidRequestException {
        String token = null;
        try (JsonParser p = parts.jsonFactory().createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw DashboardErrors.invalid("The body must be a JSON object {\"token\": \"...\"}.", null);
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if ("token".equals(field) && value == JsonToken.VALUE_STRING) {
                    token = p.getText().trim();
                } else {
                    p.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new InvalidRequestException(OpenAiError.invalidRequest("The body is not valid JSON.", null, "invalid_json"));
        }
        if (token == null || token.isEmpty() || token.length() > 512) {
            throw new InvalidRequestException(OpenAiError.invalidRequest("Missing required parameter: \"token\" (the "
                    + "admin token, or an API key).", "token", "missing_required_parameter"));
        }
        return token;
    }

    // ---- operator views ------------------------------------------------------------------------------------

    /** Usage summary of every key, or of {@code keyId} only. */
    private Future<byte[]> usage(QueryParams query, String keyId) throws InvalidRequestException {
        UsageReport.Range range = parts.usageReport().range(query.get("start_date"), query.get("end_date"),
                LocalDate.now(parts.clock().withZone(ZoneOffset.UTC)));
        String by = query.get("group_by") == null ? "day" : query.get("group_by");
        UsageSummary.GroupBy groupBy = UsageSummary.GroupBy.fromWireName(by);
        if (groupBy == null) {
            throw DashboardErrors.invalid("group_by must be one of day, model, route, mode, key, endpoint, status.",
                    "group_by");
        }
        if (keyId != null && groupBy == UsageSummary.GroupBy.KEY) {
            throw DashboardErrors.invalid("A key's own usage cannot be grouped by key.", "group_by");
        }
        String filterKey = keyId != null ? keyId : optionalId(query, "key");
        Map<String, String> modes = routeModes();
        Instant from = range.from().atStartOfDay(ZoneOffset.UTC).toInstant();
        Instant to = range.to().plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        return parts.jdbc().executeBlocking(() -> {
            UsageSummary summary = new UsageSummary(groupBy, modes::get);
            long scanned = parts.store().requests().scan(new RequestLogQuery(filterKey, null, null, null, null, from, to),
                    MAX_SCANNED_ROWS, summary::add);
            for (RequestTotal t : parts.store().requests().totals().between(range.from(), range.to(), filterKey)) {
                summary.add(t);
            }
            return json.write(g -> {
                g.writeStartObject();
                g.writeStringField("object", "usage_summary");
                g.writeStringField("key_id", filterKey);
                g.writeStringField("start_date", range.from().toString());
                g.writeStringField("end_date", range.to().toString());
                summary.write(g);
                g.writeNumberField("rows_scanned", scanned);
                g.writeBooleanField("truncated", scanned >= MAX_SCANNED_ROWS);
                g.writeEndObject();
            });
        }, false);
    }

    private Future<byte[]> requests(QueryParams query) throws InvalidRequestException {
        Instant now = parts.clock().instant();
        Instant to = instant(query, "to", now);
        Instant from = instant(query, "from", to.minus(Duration.ofDays(7)));
        if (!from.isBefore(to)) {
            throw DashboardErrors.invalid("from must be before to.", "from");
        }
        if (Duration.between(from, to).compareTo(MAX_LOG_SPAN) > 0) {
            throw DashboardErrors.invalid("from and to may be at most 366 days apart.", "from");
        }
        int limit = query.intValue("limit", 50, 1, MAX_PAGE);
        Integer status = null;
        Integer statusClass = null;
        String statusText = query.get("status");
        if (statusText != null) {
            if (statusText.matches("[1-5]xx")) {
                statusClass = statusText.charAt(0) - '0';
            } else if (statusText.matches("[1-5][0-9]{2}")) {
                status = Integer.parseInt(statusText);
            } else {
                throw DashboardErrors.invalid("status must be an HTTP status (e.g. 429) or a class (e.g. 5xx).", "status");
            }
        }
        Instant afterAt = null;
        String afterId = null;
        String cursor = query.get("cursor");
        if (cursor != null) {
            var m = CURSOR.matcher(cursor);
            if (!m.matches()) {
                throw DashboardErrors.invalid("cursor must be the next_cursor of a previous page.", "cursor");
            }
            afterAt = Instant.ofEpochMilli(Long.parseLong(m.group(1)));
            afterId = m.group(2);
        }
        RequestLogQuery filter = new RequestLogQuery(optionalId(query, "key"), optionalName(query, "model"),
                optionalName(query, "route"), status, statusClass, from, to);
        Instant cursorAt = afterAt;
        String cursorId = afterId;
        return parts.jdbc().executeBlocking(() -> {
            List<RequestRecord> rows = parts.store().requests().page(filter, cursorAt, cursorId, limit + 1);
            boolean more = rows.size() > limit;
            List<RequestRecord> page = more ? rows.subList(0, limit) : rows;
            return json.write(g -> {
                g.writeStartObject();
                g.writeStringField("object", "list");
                g.writeStringField("from", from.toString());
                g.writeStringField("to", to.toString());
                g.writeArrayFieldStart("data");
                for (RequestRecord r : page) {
                    writeRequest(g, r);
                }
                g.writeEndArray();
                g.writeBooleanField("has_more", more);
                RequestRecord last = page.isEmpty() ? null : page.get(page.size() - 1);
                g.writeStringField("next_cursor", more && last != null
                        ? last.createdAt().toEpochMilli() + "." + last.requestId() : null);
                g.writeEndObject();
            });
        }, false);
    }

    private static void writeRequest(JsonGenerator g, RequestRecord r) throws IOException {
        g.writeStartObject();
        g.writeStringField("request_id", r.requestId());
        g.writeStringField("key_id", r.keyId());
        g.writeStringField("created_at", r.createdAt().toString());
        g.writeStringField("endpoint", r.endpoint());
        g.writeStringField("model", r.model());
        g.writeStringField("route", r.route());
        g.writeStringField("mode", r.mode());
        g.writeNumberField("status", r.status());
        g.writeNumberField("latency_ms", r.latencyMs());
        if (r.ttftMs() == null) {
            g.writeNullField("ttft_ms");
        } else {
            g.writeNumberField("ttft_ms", r.ttftMs());
        }
        g.writeNumberField("prompt_tokens", r.promptTokens());
        g.writeNumberField("completion_tokens", r.completionTokens());
        g.writeNumberField("total_tokens", r.totalTokens());
        g.writeNumberField("cost_usd", r.costMicros() / 1e6);
        g.writeBooleanField("usage_estimated", r.usageEstimated());
        g.writeEndObject();
    }

    private byte[] routes() {
        return json.write(g -> {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (Model model : parts.catalog().models()) {
                g.writeStartObject();
                g.writeStringField("model", model.id());
                g.writeStringField("description", model.description());
                g.writeStringField("mode", model.mode().wireName());
                g.writeArrayFieldStart("routes");
                for (Route route : model.routes()) {
                    RouteStats stats = parts.health().stats(route);
                    g.writeStartObject();
                    g.writeStringField("route", route.name());
                    g.writeStringField("upstream", route.upstreamName());
                    g.writeStringField("upstream_model", route.upstreamModel());
                    g.writeStringField("mode", route.mode().wireName());
                    g.writeBooleanField("node", route.node());
                    g.writeBooleanField("admitted", parts.nodes().admitted(route));
                    ModelListWriter.writePolicy(g, route.policy());
                    g.writeStringField("circuit", parts.health().breaker(route).state().name().toLowerCase(java.util.Locale.ROOT));
                    g.writeObjectFieldStart("recent");
                    g.writeNumberField("observations", stats.observations());
                    g.writeNumberField("latency_ms", Math.round(stats.latencyMillis() * 10) / 10.0);
                    g.writeNumberField("failure_rate", Math.round(stats.failureRate() * 10_000) / 10_000.0);
                    g.writeNumberField("tokens_per_second", Math.round(stats.tokensPerSecond() * 10) / 10.0);
                    g.writeEndObject();
                    if (route.price() != null) {
                        g.writeObjectFieldStart("price");
                        g.writeNumberField("input_per_million", route.price().inputPerMillion());
                        g.writeNumberField("output_per_million", route.price().outputPerMillion());
                        g.writeEndObject();
                    }
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    private Future<byte[]> batches(QueryParams query, String keyId, boolean operator) throws InvalidRequestException {
        int limit = query.intValue("limit", 50, 1, MAX_PAGE);
        String status = query.get("status");
        if (status != null && !List.of(BatchRecord.VALIDATING, BatchRecord.IN_PROGRESS, BatchRecord.FINALIZING,
                BatchRecord.COMPLETED, BatchRecord.FAILED, BatchRecord.EXPIRED, BatchRecord.CANCELLING,
                BatchRecord.CANCELLED).contains(status)) {
            throw DashboardErrors.invalid("status must be a batch status (validating, in_progress, finalizing, "
                    + "completed, failed, expired, cancelling, cancelled).", "status");
        }
        String after = optionalId(query, "after");
        return parts.jdbc().executeBlocking(() -> {
            List<BatchRecord> rows = parts.store().batches().listAll(keyId, status, after, limit + 1);
            boolean more = rows.size() > limit;
            List<BatchRecord> page = more ? rows.subList(0, limit) : rows;
            return json.write(g -> {
                g.writeStartObject();
                g.writeStringField("object", "list");
                g.writeArrayFieldStart("data");
                for (BatchRecord b : page) {
                    g.writeStartObject();
                    g.writeStringField("id", b.id());
                    if (operator) {
                        g.writeStringField("key_id", b.keyId());
                    }
                    g.writeStringField("endpoint", b.endpoint());
                    g.writeStringField("status", b.status());
                    g.writeObjectFieldStart("request_counts");
                    g.writeNumberField("total", b.total());
                    g.writeNumberField("completed", b.completed());
                    g.writeNumberField("failed", b.failed());
                    g.writeEndObject();
                    g.writeNumberField("progress", b.total() == 0 ? (b.terminal() ? 1.0 : 0.0)
                            : Math.round((b.completed() + b.failed()) * 1000.0 / b.total()) / 1000.0);
                    g.writeBooleanField("client_sealed", b.clientPublicKey() != null);
                    g.writeStringField("error_code", b.errorCode());
                    g.writeStringField("created_at", Instant.ofEpochMilli(b.createdAt()).toString());
                    g.writeStringField("ended_at", b.endedAt() == null ? null : Instant.ofEpochMilli(b.endedAt()).toString());
                    g.writeStringField("expires_at", Instant.ofEpochMilli(b.expiresAt()).toString());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeBooleanField("has_more", more);
                g.writeStringField("next_after", more ? page.get(page.size() - 1).id() : null);
                g.writeEndObject();
            });
        }, false);
    }

    // ---- key owner --------------------------------------------------------------------------------------------

    private Future<byte[]> ownKey(ApiKeyRecord key) {
        // With Redis unreachable the budget's live spend is unknown: a 503 to retry, as for a request, never a 500.
        return parts.limits().budget(key).recover(failure -> Future.failedFuture(
                failure instanceof dev.veil.gateway.limits.RateLimiter.Unavailable
                        ? new InvalidRequestException(new OpenAiError(503, "The gateway cannot reach its shared limiter,"
                        + " which holds this key's live budget spend; retry shortly.", OpenAiError.SERVER, null,
                        "rate_limiter_unavailable")) : failure)).map(budget -> json.write(g -> {
            g.writeStartObject();
            g.writeStringField("object", "api_key");
            g.writeStringField("id", key.id());
            g.writeStringField("name", key.name());
            g.writeStringField("hint", key.secretHint());
            g.writeStringField("created_at", key.createdAt().toString());
            g.writeFieldName("policy");
            KeyPolicyJson.write(g, key.policy());
            g.writeObjectFieldStart("limits");
            writeNullable(g, "rpm", key.policy().rpm());
            writeNullable(g, "tpm", key.policy().tpm());
            writeNullable(g, "max_concurrent", key.policy().maxConcurrent());
            g.writeEndObject();
            if (budget.isEmpty()) {
                g.writeNullField("budget");
            } else {
                KeyLimits.BudgetStatus b = budget.get();
                g.writeObjectFieldStart("budget");
                g.writeStringField("period", key.policy().budgetPeriod().wireName());
                g.writeNumberField("budget_usd", b.budgetMicros() / 1e6);
                g.writeNumberField("spent_usd", b.spentMicros() / 1e6);
                g.writeNumberField("remaining_usd", b.remainingMicros() / 1e6);
                g.writeStringField("period_start", b.periodStart().toString());
                g.writeStringField("renews_on", b.renewsOn().toString());
                g.writeEndObject();
            }
            g.writeObjectFieldStart("request_log");
            g.writeStringField("mode", parts.minimisation().mode(key).wireName());
            g.writeNumberField("retention_days", parts.minimisation().retentionDays(key));
            g.writeEndObject();
            g.writeEndObject();
        }));
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private Map<String, String> routeModes() {
        Map<String, String> modes = new HashMap<>();
        for (Model model : parts.catalog().models()) {
            for (Route route : model.routes()) {
                modes.put(route.name(), route.mode().wireName());
            }
        }
        return modes;
    }

    private static void writeNullable(JsonGenerator g, String field, Integer value) throws IOException {
        if (value == null) {
            g.writeNullField(field);
        } else {
            g.writeNumberField(field, value);
        }
    }

    private static Instant instant(QueryParams query, String name, Instant byDefault) throws InvalidRequestException {
        String text = query.get(name);
        if (text == null || text.isEmpty()) {
            return byDefault;
        }
        try {
            Instant value = text.length() == 10 ? LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant()
                    : Instant.parse(text);
            if (value.isBefore(Instant.EPOCH) || value.isAfter(Instant.parse("9999-12-31T23:59:59Z"))) {
                throw DashboardErrors.invalid(name + " must lie between 1970 and 9999.", name);
            }
            return value;
        } catch (DateTimeParseException e) {
            throw DashboardErrors.invalid(name + " must be a UTC time such as 2026-12-01T09:30:00Z or a day such as "
                    + "2026-12-01.", name);
        }
    }

    private static String optionalId(QueryParams query, String name) throws InvalidRequestException {
        String value = query.get(name);
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (!ID.matcher(value).matches()) {
            throw DashboardErrors.invalid(name + " must be an id: letters, digits, _ and -, at most 64.", name);
        }
        return value;
    }

    private static String optionalName(QueryParams query, String name) throws InvalidRequestException {
        String value = query.get(name);
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (!NAME.matcher(value).matches()) {
            throw DashboardErrors.invalid(name + " must be 1 to 256 printable characters.", name);
        }
        return value;
    }

    private static void noStore(HttpServerResponse response) {
        response.putHeader("cache-control", "no-store").putHeader("x-content-type-options", "nosniff");
    }

    private interface Action {
        void run();
    }

    private void only(Exchange exchange, HttpMethod method, Action action) {
        noStore(exchange.response());
        if (exchange.request().method() != method) {
            replies.methodNotAllowed(exchange, method.name());
            return;
        }
        action.run();
    }
}
