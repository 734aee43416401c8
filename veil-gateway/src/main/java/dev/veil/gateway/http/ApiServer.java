package dev.veil.gateway.http;

import dev.veil.gateway.admin.AdminApi;
import dev.veil.gateway.audit.AuditApi;
import dev.veil.gateway.auth.AuthenticationException;
import dev.veil.gateway.auth.KeyAuthenticator;
import dev.veil.gateway.batch.BatchApi;
import dev.veil.gateway.metering.RequestMeter;
import dev.veil.gateway.metering.UsageReport;
import dev.veil.protocol.api.Endpoint;
import dev.veil.gateway.openai.InferenceRequest;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.gateway.openai.ModelListWriter;
import dev.veil.gateway.openai.RequestInspector;
import dev.veil.gateway.ops.GatewayMetrics;
import dev.veil.gateway.ops.Readiness;
import dev.veil.gateway.relay.InferenceRelay;
import dev.veil.gateway.routing.Model;
import dev.veil.gateway.routing.ModelCatalog;
import dev.veil.gateway.routing.Route;
import dev.veil.gateway.nodes.NodeRegistry;
import dev.veil.gateway.limits.KeyLimits;
import dev.veil.gateway.policy.PolicyRefusal;
import dev.veil.gateway.policy.RoutePlan;
import dev.veil.gateway.policy.RoutePlanner;
import dev.veil.http.MemoryBudget;
import dev.veil.protocol.OpenAiError;
import dev.veil.store.ApiKeyRecord;
import dev.veil.store.UsageLedgerRepository;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request handler of the public HTTP server: dispatches by method and path, authenticates, and hands inference
 * requests to the relay. Written on vertx-core directly so the hot path has no router in it. Any unexpected failure
 * becomes an OpenAI-shaped 500 without detail and is logged by exception class only.
 */
public final class ApiServer implements Handler<HttpServerRequest> {

    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private static final String MODELS_PREFIX = "/v1/models/";
    private static final String ADMIN_KEYS = "/admin/keys";

    /** Every path this server answers, as the unknown-path error lists them; keep in step with {@code dispatch}. */
    public static final List<String> SERVED_PATHS = servedPaths("GET /v1/models", "GET /v1/models/{model}",
            "GET /v1/usage", "GET /v1/attestation",
            "POST|GET /v1/files", "GET|DELETE /v1/files/{file_id}", "GET /v1/files/{file_id}/content",
            "POST|GET /v1/batches", "GET /v1/batches/{batch_id}", "POST /v1/batches/{batch_id}/cancel",
            "GET /v1/receipts/key", "GET /v1/transparency/{head|entries|proof/inclusion|proof/consistency|receipt-key}",
            "/admin/keys (admin token)", "GET /v1/admin/audit (admin token)", "GET /v1/privacy",
            "POST /v1/nodes/join (join token)", "DELETE /v1/nodes/{registration_id} (node credential)",
            "GET /v1/admin/nodes, POST /v1/admin/nodes/{id}/ban, /v1/admin/join-tokens (admin token)",
            "GET /v1/admin/{usage|requests|routes|batches} (admin token)", "GET /v1/key", "GET /ui (the dashboard)",
            "GET /health", "GET /health/live", "GET /health/ready", "GET /metrics");

    /** Every inference endpoint's {@code POST} path, then {@code others}. */
    private static List<String> servedPaths(String... others) {
        List<String> paths = new java.util.ArrayList<>();
        for (Endpoint endpoint : Endpoint.ALL) {
            paths.add("POST " + endpoint.path());
        }
        paths.addAll(List.of(others));
        return List.copyOf(paths);
    }

    private final ModelCatalog catalog;
    private final KeyAuthenticator authenticator;
    private final RequestInspector inspector;
    private final RoutePlanner planner;
    private final PolicyRefusal refusal;
    private final KeyLimits limits;
    private final InferenceRelay relay;
    private final RequestMeter meter;
    private final dev.veil.gateway.http.Replies replies;
    private final ModelListWriter modelList;
    private final UsageReport usageReport;
    private final UsageLedgerRepository ledger;
    private final AdminApi admin;
    private final GatewayMetrics metrics;
    private final WorkerExecutor jdbc;
    private final long maxBodyBytes;
    private final MemoryBudget bodies;
    private final TransparencyApi transparency;
    private final E2eeRequests e2ee;
    private final E2eeForwarder e2eeForwarder;
    private final BatchApi batchApi;
    private final Readiness readiness;
    private final NodeNetworkApi nodeNetwork;
    private final AuditApi audit;
    private final PrivacyApi privacy;
    private final dev.veil.gateway.dashboard.DashboardAccess access;
    private final dev.veil.gateway.dashboard.DashboardApi dashboard;
    private final dev.veil.gateway.anthropic.MessagesApi messages;

    /** Everything the server needs, wired by {@code Gateway}. */
    public record Parts(ModelCatalog catalog, KeyAuthenticator authenticator, RequestInspector inspector,
                        RoutePlanner planner, PolicyRefusal refusal, KeyLimits limits, InferenceRelay relay, RequestMeter meter,
                        ModelListWriter modelList, UsageReport usageReport, UsageLedgerRepository ledger, AdminApi admin,
                        GatewayMetrics metrics, WorkerExecutor jdbc, long maxBodyBytes, MemoryBudget bodies,
                        NodeRegistry nodes, BatchApi batchApi, Readiness readiness, TransparencyApi transparency,
                        NodeNetworkApi nodeNetwork, AuditApi audit, PrivacyApi privacy,
                        dev.veil.gateway.dashboard.DashboardAccess access, dev.veil.gateway.dashboard.DashboardApi dashboard,
                        dev.veil.gateway.anthropic.MessagesApi messages) {
    }

    public ApiServer(Parts parts) {
        this.catalog = parts.catalog();
        this.authenticator = parts.authenticator();
        this.inspector = parts.inspector();
        this.planner = parts.planner();
        this.refusal = parts.refusal();
        this.limits = parts.limits();
        this.relay = parts.relay();
        this.meter = parts.meter();
        this.replies = new dev.veil.gateway.http.Replies(this.meter);
        this.modelList = parts.modelList();
        this.usageReport = parts.usageReport();
        this.ledger = parts.ledger();
        this.admin = parts.admin();
        this.metrics = parts.metrics();
        this.jdbc = parts.jdbc();
        this.maxBodyBytes = parts.maxBodyBytes();
        this.bodies = parts.bodies();
        this.transparency = parts.transparency();
        this.e2ee = new E2eeRequests(parts.nodes(), parts.transparency().log());
        this.e2eeForwarder = new E2eeForwarder(parts.catalog(), parts.planner(), parts.relay());
        this.batchApi = parts.batchApi();
        this.readiness = parts.readiness();
        this.nodeNetwork = parts.nodeNetwork();
        this.audit = parts.audit();
        this.privacy = parts.privacy();
        this.access = parts.access();
        this.dashboard = parts.dashboard();
        this.messages = parts.messages();
    }

    @Override
    public void handle(HttpServerRequest request) {
        Exchange exchange = new Exchange(request, meter.minimisation());
        request.response().headers().add(HeaderNames.REQUEST_ID, exchange.requestId());
        try {
            dispatch(exchange);
        } catch (RuntimeException e) {
            fail(exchange, e);
        }
    }

    private void dispatch(Exchange exchange) {
        HttpServerRequest request = exchange.request();
        String path = request.path();
        HttpMethod method = request.method();
        Endpoint endpoint = Endpoint.byPath(path);
        if (endpoint == Endpoint.MESSAGES) {
            // Anthropic's API: its own authentication headers, version check and error shape.
            messages.handle(exchange);
            return;
        }
        if (endpoint != null) {
            inference(exchange, endpoint);
            return;
        }
        switch (path) {
            case "/v1/models" -> withKey(exchange, "models", HttpMethod.GET,
                    key -> ok(exchange, modelList.list(visibleModels(key))));
            case "/v1/usage" -> withKey(exchange, "usage", HttpMethod.GET, key -> usage(exchange, key));
            case "/v1/attestation" -> withKey(exchange, "attestation", HttpMethod.GET, key -> attestation(exchange, key));
            case AuditApi.PATH -> adminAudit(exchange);
            case PrivacyApi.PATH -> {
                // Public: it describes what Veil stores and holds no data.
                exchange.endpoint("privacy");
                if (method == HttpMethod.GET || method == HttpMethod.HEAD) {
                    ok(exchange, privacy.body());
                } else {
                    methodNotAllowed(exchange, "GET");
                }
            }
            case "/v1/key" -> dashboard.handleKey(exchange);
            case "/health", "/health/live" -> {
                // Liveness: the process serves HTTP. Never depends on the store or Redis, so an orchestrator does not
                // restart instances for an outage they cannot fix.
                exchange.endpoint("health");
                if (method == HttpMethod.GET || method == HttpMethod.HEAD) {
                    ok(exchange, "{\"status\":\"ok\"}".getBytes(StandardCharsets.US_ASCII));
                } else {
                    methodNotAllowed(exchange, "GET");
                }
            }
            case "/health/ready" -> {
                exchange.endpoint("health");
                if (method == HttpMethod.GET || method == HttpMethod.HEAD) {
                    ready(exchange);
                } else {
                    methodNotAllowed(exchange, "GET");
                }
            }
            case "/metrics" -> {
                exchange.endpoint("metrics");
                if (method == HttpMethod.GET) {
                    meter.complete(exchange, 200);
                    exchange.response().setStatusCode(200)
                            .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                            .end(metrics.scrape());
                } else {
                    methodNotAllowed(exchange, "GET");
                }
            }
            default -> {
                if (path.startsWith(MODELS_PREFIX)) {
                    withKey(exchange, "models", HttpMethod.GET, key -> oneModel(exchange, key, path));
                } else if (path.equals(ADMIN_KEYS) || path.startsWith(ADMIN_KEYS + "/")) {
                    admin(exchange, path);
                } else if (dev.veil.gateway.dashboard.DashboardApi.servesUi(path)) {
                    dashboard.handleUi(exchange);
                } else if (path.startsWith(dev.veil.gateway.dashboard.DashboardApi.ADMIN_PREFIX)
                        && dashboard.handleAdmin(exchange)) {
                    return;
                } else if (path.startsWith(TransparencyApi.PREFIX)) {
                    withKey(exchange, "transparency", HttpMethod.GET, key -> transparency(exchange, path));
                } else if (path.startsWith(Endpoint.RESPONSES.path() + "/")) {
                    storedResponse(exchange);
                } else if (NodeNetworkApi.serves(path)) {
                    nodeNetwork(exchange, path);
                } else if (path.startsWith(Endpoint.MESSAGES.path() + "/")) {
                    messages.notServed(exchange);
                } else if (BatchApi.serves(path)) {
                    batchApi.handle(exchange);
                } else {
                    exchange.endpoint("unknown");
                    error(exchange, new OpenAiError(404, "Unknown path. Veil serves " + String.join(", ", SERVED_PATHS)
                            + "; see docs/api.md.", OpenAiError.INVALID_REQUEST, null, "unknown_url"));
                }
            }
        }
    }

    private void inference(Exchange exchange, Endpoint endpoint) {
        exchange.endpoint(endpoint.label());
        if (endpoint.forcesStoreFalse()) {
            // Whatever the client asked, the provider is told not to keep the answer.
            exchange.response().headers().add(HeaderNames.VEIL_STORE, "false");
        }
        HttpServerRequest request = exchange.request();
        if (request.method() != HttpMethod.POST) {
            methodNotAllowed(exchange, "POST");
            return;
        }
        // Hold the body until the key is known, so an unauthenticated client cannot make Veil buffer anything.
        request.pause();
        authenticator.authenticate(request.getHeader("authorization"))
                .compose(key -> {
                    exchange.key(key);
                    return limits.admit(key);
                })
                .compose(admission -> {
                    admission.headers().forEach(exchange.response()::putHeader);
                    exchange.lease(admission.lease());
                    if (!admission.admitted()) {
                        return Future.failedFuture(new InvalidRequestException(admission.refusal()));
                    }
                    Future<byte[]> body = BodyReader.read(request, maxBodyBytes, bodies);
                    request.resume();
                    return body;
                })
                .onSuccess(body -> {
                    try {
                        String contentType = request.getHeader("content-type");
                        if (contentType != null && contentType.startsWith(dev.veil.protocol.e2ee.E2ee.CONTENT_TYPE)) {
                            forwardE2ee(exchange, endpoint, body);
                        } else {
                            forward(exchange, endpoint, body);
                        }
                    } catch (InvalidRequestException e) {
                        error(exchange, e.error());
                    } catch (RuntimeException e) {
                        fail(exchange, e);
                    }
                })
                .onFailure(failure -> failWith(exchange, failure));
    }

    private void forward(Exchange exchange, Endpoint endpoint, byte[] body) throws InvalidRequestException {
        InferenceRequest inferenceRequest = inspector.inspect(endpoint, body);
        Model model = catalog.find(inferenceRequest.model());
        if (model == null) {
            throw new InvalidRequestException(new OpenAiError(404,
                    "The model you requested does not exist on this gateway; GET /v1/models lists the models you can use.",
                    OpenAiError.INVALID_REQUEST, "model", "model_not_found"));
        }
        exchange.model(model.id());
        String via = dev.veil.protocol.translate.Translations.via(endpoint);
        String untranslatable = null;
        if (via != null && !RoutePlanner.speaks(model, endpoint.api())) {
            // Only a model some of whose routes need the translation pays for checking that the request has one.
            untranslatable = dev.veil.protocol.translate.ResponsesToChat.untranslatable(
                    dev.veil.protocol.translate.ResponsesToChat.parse(body));
            if (untranslatable != null) {
                via = null;
            }
        }
        if (!RoutePlanner.serves(model, endpoint.api(), via)) {
            throw new InvalidRequestException(untranslatable == null
                    ? dev.veil.gateway.policy.EndpointSupport.notServed(endpoint)
                    : dev.veil.gateway.policy.EndpointSupport.untranslatable(endpoint, untranslatable));
        }
        RoutePlan plan = planner.plan(model, exchange.key().policy(), inferenceRequest.policy(), null, endpoint.api(),
                via);
        if (plan.candidates().isEmpty()) {
            int status = refusal.status(plan);
            meter.complete(exchange, status);
            Responses.json(exchange.response(), status, refusal.body(plan));
            return;
        }
        relay.relay(exchange, inferenceRequest, plan.candidates(), body);
    }

    /** An e2ee request ({@link E2eeForwarder}); a refusal in OpenAI's shape. */
    private void forwardE2ee(Exchange exchange, Endpoint endpoint, byte[] body) throws InvalidRequestException {
        e2eeForwarder.forward(exchange, endpoint, body, (refused, plan) -> {
            int status = refusal.status(plan);
            meter.complete(refused, status);
            Responses.json(refused.response(), status, refusal.body(plan));
        });
    }

    /**
     * {@code GET|DELETE /v1/responses/{id}}, {@code .../cancel}, {@code .../input_items} and the like: OpenAI's calls on
     * stored responses. Veil stores none (it sends {@code store: false} upstream), so after authentication each is a
     * 400 that says so, rather than a 404 that reads like a wrong id.
     */
    private void storedResponse(Exchange exchange) {
        exchange.endpoint(Endpoint.RESPONSES.label() + ".stored");
        authenticator.authenticate(exchange.request().getHeader("authorization")).onComplete(result -> {
            if (result.failed()) {
                failWith(exchange, result.cause());
                return;
            }
            exchange.key(result.result());
            error(exchange, OpenAiError.invalidRequest("Veil is stateless: it keeps no responses (every request is sent "
                    + "upstream with \"store\": false), so there is nothing to retrieve, cancel, delete or list. Keep "
                    + "the output you need on your side and pass the conversation in \"input\" of POST /v1/responses.",
                    null, "stateless_gateway"));
        });
    }

    /** {@code GET /v1/attestation?model=&nonce=}: live evidence, for the client's nonce, of the nodes serving a model. */
    private void attestation(Exchange exchange, ApiKeyRecord key) {
        QueryParams query;
        try {
            query = QueryParams.of(exchange.request());
        } catch (InvalidRequestException e) {
            error(exchange, e.error());
            return;
        }
        String modelId = query.get("model");
        Model model = modelId == null ? null
                : visibleModels(key).stream().filter(m -> m.id().equals(modelId)).findFirst().orElse(null);
        if (model == null) {
            error(exchange, new OpenAiError(404, "Name a model this key may use: GET /v1/attestation?model=<id>&nonce=<64 hex>.",
                    OpenAiError.INVALID_REQUEST, "model", "model_not_found"));
            return;
        }
        byte[] nonce = E2eeRequests.nonce(query.get("nonce"));
        if (nonce == null) {
            error(exchange, OpenAiError.invalidRequest("nonce must be 32 random bytes written as 64 hex characters.",
                    "nonce", "invalid_nonce"));
            return;
        }
        exchange.model(model.id());
        if (model.routes().stream().noneMatch(Route::node)) {
            // Nothing to wait for: no attested node serves this model, so retrying cannot help (not a 503).
            error(exchange, OpenAiError.invalidRequest("This model is not served by attested nodes on this gateway, so it "
                    + "has no attestation evidence and cannot be used with e2ee; pick a model whose routes are Veil nodes.",
                    "model", "model_not_attested"));
            return;
        }
        e2ee.evidence(model, nonce).onComplete(result -> {
            if (result.failed() || result.result() == null) {
                error(exchange, new OpenAiError(503, "No node serving this model could produce attestation evidence right "
                        + "now; retry shortly.", OpenAiError.UPSTREAM, "model", "no_attested_node"));
                return;
            }
            ok(exchange, result.result());
        });
    }

    private void transparency(Exchange exchange, String path) {
        try {
            ok(exchange, transparency.answer(path, QueryParams.of(exchange.request())));
        } catch (InvalidRequestException e) {
            error(exchange, e.error());
        }
    }

    /** The models a key may use, each showing only the routes the key's policy allows. */
    private java.util.List<Model> visibleModels(ApiKeyRecord key) {
        java.util.List<Model> visible = new java.util.ArrayList<>();
        for (Model model : catalog.models()) {
            if (!key.policy().allowsModel(model.id())) {
                continue;
            }
            java.util.List<Route> routes = planner.routesFor(model, key.policy());
            if (!routes.isEmpty()) {
                visible.add(routes.equals(model.routes()) ? model
                        : new Model(model.id(), model.ownedBy(), model.description(), model.created(), routes));
            }
        }
        return visible;
    }

    private void oneModel(Exchange exchange, ApiKeyRecord key, String path) {
        String id;
        try {
            id = QueryParams.pathSegment(path.substring(MODELS_PREFIX.length()), "model");
        } catch (InvalidRequestException e) {
            error(exchange, e.error());
            return;
        }
        Model model = visibleModels(key).stream().filter(m -> m.id().equals(id)).findFirst().orElse(null);
        if (model == null) {
            error(exchange, new OpenAiError(404, "The model does not exist on this gateway; GET /v1/models lists them.",
                    OpenAiError.INVALID_REQUEST, "model", "model_not_found"));
            return;
        }
        exchange.model(model.id());
        ok(exchange, modelList.one(model));
    }

    private void usage(Exchange exchange, ApiKeyRecord key) {
        HttpServerRequest request = exchange.request();
        UsageReport.Range range;
        try {
            QueryParams query = QueryParams.of(request);
            range = usageReport.range(query.get("start_date"), query.get("end_date"), LocalDate.now(ZoneOffset.UTC));
        } catch (InvalidRequestException e) {
            error(exchange, e.error());
            return;
        }
        jdbc.executeBlocking(() -> ledger.forKey(key.id(), range.from(), range.to()), false)
                .onSuccess(entries -> ok(exchange, usageReport.write(key.id(), range, entries,
                        meter.minimisation().mode(key), meter.minimisation().retentionDays(key))))
                .onFailure(failure -> failWith(exchange, failure));
    }

    private void admin(Exchange exchange, String path) {
        exchange.endpoint("admin");
        HttpServerRequest request = exchange.request();
        exchange.response().putHeader("cache-control", "no-store");
        HttpMethod method = request.method();
        boolean known = (path.equals(ADMIN_KEYS) && (method == HttpMethod.GET || method == HttpMethod.POST))
                || (path.length() > ADMIN_KEYS.length() + 1 && (method == HttpMethod.DELETE || method == HttpMethod.PATCH));
        if (!known) {
            methodNotAllowed(exchange, path.equals(ADMIN_KEYS) ? "GET, POST" : "PATCH, DELETE");
            return;
        }
        // The admin token, or an operator's dashboard session with its CSRF token (looked up in the store).
        request.pause();
        access.operator(request).compose(allowed -> {
            if (path.equals(ADMIN_KEYS) && method == HttpMethod.GET) {
                request.resume();
                return admin.list();
            } else if (path.equals(ADMIN_KEYS)) {
                Future<byte[]> body = BodyReader.read(request, 64 * 1024);
                request.resume();
                return body.compose(admin::create);
            } else if (method == HttpMethod.DELETE) {
                request.resume();
                return admin.revoke(path.substring(ADMIN_KEYS.length() + 1));
            } else {
                String id = path.substring(ADMIN_KEYS.length() + 1);
                Future<byte[]> body = BodyReader.read(request, 64 * 1024);
                request.resume();
                return body.compose(b -> admin.updatePolicy(id, b));
            }
        }).onSuccess(r -> {
            meter.complete(exchange, r.status());
            Responses.json(exchange.response(), r.status(), r.body());
        }).onFailure(failure -> failWith(exchange, failure));
    }

    /** Joins and leaves of nodes, and the operator's node and join-token calls ({@link NodeNetworkApi}). */
    private void nodeNetwork(Exchange exchange, String path) {
        exchange.endpoint(path.startsWith(NodeNetworkApi.NODES) ? "nodes" : "admin");
        nodeNetwork.handle(exchange.request(), path).onSuccess(r -> {
            meter.complete(exchange, r.status());
            Responses.json(exchange.response(), r.status(), r.body());
        }).onFailure(failure -> failWith(exchange, failure));
    }

    /** {@code GET /v1/admin/audit}: the audit log's export, for the admin token only. */
    private void adminAudit(Exchange exchange) {
        exchange.endpoint("admin");
        HttpServerRequest request = exchange.request();
        exchange.response().putHeader("cache-control", "no-store");
        if (request.method() != HttpMethod.GET) {
            methodNotAllowed(exchange, "GET");
            return;
        }
        // The admin token, or an operator's dashboard session.
        access.operator(request).compose(allowed -> {
            try {
                return audit.page(QueryParams.of(request));
            } catch (InvalidRequestException e) {
                return Future.<AdminApi.Reply>failedFuture(e);
            }
        }).onSuccess(r -> {
            meter.complete(exchange, r.status());
            Responses.json(exchange.response(), r.status(), r.body());
        }).onFailure(failure -> failWith(exchange, failure));
    }

    private interface KeyedHandler {
        void handle(ApiKeyRecord key);
    }

    private void withKey(Exchange exchange, String endpoint, HttpMethod allowed, KeyedHandler handler) {
        exchange.endpoint(endpoint);
        if (exchange.request().method() != allowed) {
            methodNotAllowed(exchange, allowed.name());
            return;
        }
        access.key(exchange.request()).onComplete(result -> {
            if (result.failed()) {
                failWith(exchange, result.cause());
                return;
            }
            exchange.key(result.result());
            try {
                handler.handle(result.result());
            } catch (RuntimeException e) {
                fail(exchange, e);
            }
        });
    }

    /** Readiness: 200 while the store (and Redis, when configured) answer, else 503 naming which does not. */
    private void ready(Exchange exchange) {
        Readiness.State state = readiness.state();
        String body = "{\"status\":\"" + (state.ready() ? "ready" : "not_ready") + "\",\"store\":\""
                + (state.store() ? "ok" : "unreachable") + "\""
                + (state.redis() == null ? "" : ",\"redis\":\"" + (state.redis() ? "ok" : "unreachable") + "\"") + "}";
        int status = state.ready() ? 200 : 503;
        meter.complete(exchange, status);
        if (!state.ready()) {
            exchange.response().putHeader("retry-after", "1");
        }
        Responses.json(exchange.response(), status, body.getBytes(StandardCharsets.US_ASCII));
    }

    private void ok(Exchange exchange, byte[] body) {
        replies.ok(exchange, body);
    }

    private void methodNotAllowed(Exchange exchange, String allowed) {
        replies.methodNotAllowed(exchange, allowed);
    }

    private void failWith(Exchange exchange, Throwable failure) {
        replies.failWith(exchange, failure);
    }

    private void error(Exchange exchange, OpenAiError error) {
        replies.error(exchange, error);
    }

    private void fail(Exchange exchange, Throwable failure) {
        replies.fail(exchange, failure);
    }

}
