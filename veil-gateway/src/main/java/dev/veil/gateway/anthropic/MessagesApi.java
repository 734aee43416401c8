package dev.veil.gateway.anthropic;

import dev.veil.protocol.AnthropicErrors;
import dev.veil.protocol.translate.ChatStreamToMessages;
import dev.veil.protocol.translate.MessagesTranslation;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.gateway.auth.AuthenticationException;
import dev.veil.gateway.auth.KeyAuthenticator;
import dev.veil.gateway.http.BodyReader;
import dev.veil.gateway.http.Exchange;
import dev.veil.gateway.http.HeaderNames;
import dev.veil.gateway.limits.KeyLimits;
import dev.veil.gateway.metering.RequestMeter;
import dev.veil.protocol.api.Endpoint;
import dev.veil.gateway.openai.InferenceRequest;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.gateway.openai.RequestInspector;
import dev.veil.gateway.policy.RoutePlan;
import dev.veil.gateway.policy.RoutePlanner;
import dev.veil.gateway.routing.Model;
import dev.veil.gateway.routing.ModelCatalog;
import dev.veil.gateway.routing.Route;
import dev.veil.http.LingeringClose;
import dev.veil.http.MemoryBudget;
import dev.veil.protocol.OpenAiError;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/messages}, Anthropic's Messages API, with every guarantee of the chat endpoint: the key (as
 * {@code x-api-key} or {@code Authorization: Bearer}), its limits, the body read within the size and memory limits,
 * the body checked field by field ({@link RequestInspector} with the Messages field list), the effective policy
 * planned, and the answer relayed by {@link MessagesRelay}. {@code anthropic-version} is required. Every error,
 * Veil's policy refusal included, is in Anthropic's shape ({@link AnthropicErrors}).
 */
public final class MessagesApi {

    private static final Logger LOG = LoggerFactory.getLogger(MessagesApi.class);

    /**
     * The {@code anthropic-version} values accepted: {@code 2023-06-01} (what most tools send) and {@code 2026-10-21}
     * (what the official SDKs of this generation, such as anthropic-java 3.14, send). The accepted value is passed on
     * to Anthropic-compatible upstreams, which read the body by it.
     */
    public static final Set<String> VERSIONS = Set.of("2023-06-01", "2026-10-21");

    private final ModelCatalog catalog;
    private final KeyAuthenticator authenticator;
    private final RequestInspector inspector;
    private final RoutePlanner planner;
    private final KeyLimits limits;
    private final MessagesRelay relay;
    private final RequestMeter meter;
    private final long maxBodyBytes;
    private final MemoryBudget bodies;
    private final dev.veil.gateway.http.E2eeForwarder e2ee;

    /** What the endpoint needs, wired by {@code Gateway}; {@code e2ee} relays sealed requests to nodes. */
    public record Parts(ModelCatalog catalog, KeyAuthenticator authenticator, RequestInspector inspector,
                        RoutePlanner planner, KeyLimits limits, MessagesRelay relay, RequestMeter meter,
                        long maxBodyBytes, MemoryBudget bodies, dev.veil.gateway.http.E2eeForwarder e2ee) {
    }

    public MessagesApi(Parts parts) {
        this.catalog = parts.catalog();
        this.authenticator = parts.authenticator();
        this.inspector = parts.inspector();
        this.planner = parts.planner();
        this.limits = parts.limits();
        this.relay = parts.relay();
        this.meter = parts.meter();
        this.maxBodyBytes = parts.maxBodyBytes();
        this.bodies = parts.bodies();
        this.e2ee = parts.e2ee();
    }

    /** Handles one request to {@code /v1/messages} ({@link Endpoint#MESSAGES}). */
    public void handle(Exchange exchange) {
        exchange.endpoint(Endpoint.MESSAGES.label());
        HttpServerRequest request = exchange.request();
        try {
            if (request.method() != HttpMethod.POST) {
                exchange.response().putHeader("allow", "POST");
                error(exchange, new OpenAiError(405, "This path accepts only POST.", OpenAiError.INVALID_REQUEST, null,
                        "method_not_allowed"));
                return;
            }
            OpenAiError version = checkVersion(request.getHeader("anthropic-version"));
            if (version != null) {
                error(exchange, version);
                return;
            }
            // Hold the body until the key is known, so an unauthenticated client cannot make Veil buffer anything.
            request.pause();
            authenticate(request)
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
                            forward(exchange, body);
                        } catch (InvalidRequestException e) {
                            error(exchange, e.error());
                        } catch (RuntimeException e) {
                            fail(exchange, e);
                        }
                    })
                    .onFailure(failure -> failWith(exchange, failure));
        } catch (RuntimeException e) {
            fail(exchange, e);
        }
    }

    /**
     * A path under {@code /v1/messages} ({@link Endpoint#MESSAGES}) ({@code /v1/messages/count_tokens}, {@code /v1/messages/batches} …): not served, said
     * in Anthropic's shape so that Anthropic clients read it.
     */
    public void notServed(Exchange exchange) {
        exchange.endpoint("unknown");
        error(exchange, new OpenAiError(404, "Veil serves POST /v1/messages only, not the Messages API's other paths "
                + "(token counting, message batches); see docs/anthropic.md.", OpenAiError.INVALID_REQUEST, null,
                "unknown_url"));
    }

    /** {@code null} when {@code version} is one Veil speaks, else the 400 naming the header. */
    static OpenAiError checkVersion(String version) {
        if (version == null || version.isBlank()) {
            return OpenAiError.invalidRequest("anthropic-version: header is required. Send \"anthropic-version: "
                    + "2023-06-01\" (Anthropic's SDKs do).", "anthropic-version", "missing_required_header");
        }
        if (!VERSIONS.contains(version.trim())) {
            return OpenAiError.invalidRequest("anthropic-version: this gateway speaks versions 2023-06-01 and "
                    + "2026-10-21 of the Messages API; send one of them, e.g. \"anthropic-version: 2023-06-01\".",
                    "anthropic-version", "invalid_value");
        }
        return null;
    }

    /** The key from {@code x-api-key} (Anthropic's header), else from {@code Authorization: Bearer}. */
    private Future<dev.veil.store.ApiKeyRecord> authenticate(HttpServerRequest request) {
        String apiKey = request.getHeader("x-api-key");
        String authorization = apiKey != null && !apiKey.isBlank() ? "Bearer " + apiKey.trim()
                : request.getHeader(HeaderNames.AUTHORIZATION);
        return authenticator.authenticate(authorization).recover(failure -> {
            if (failure instanceof AuthenticationException e && "missing_api_key".equals(e.error().code())) {
                return Future.failedFuture(new InvalidRequestException(new OpenAiError(401, "You didn't provide an API "
                        + "key. Send it as an 'x-api-key: <key>' or 'Authorization: Bearer <key>' header; 'veil keys "
                        + "create' or the admin API makes one.", OpenAiError.AUTHENTICATION, null, "missing_api_key")));
            }
            return Future.failedFuture(failure);
        });
    }

    private void forward(Exchange exchange, byte[] body) throws InvalidRequestException {
        if (dev.veil.gateway.http.E2eeForwarder.sealed(exchange)) {
            // Sealed to a node: only the clear envelope is read here; refusals in Anthropic's shape.
            e2ee.forward(exchange, Endpoint.MESSAGES, body, (refused, plan) -> {
                boolean onlyHealth = plan.onlyHealthExcludedCompliantRoutes();
                reply(refused, dev.veil.protocol.policy.RefusalBody.status(plan.excluded(), onlyHealth),
                        AnthropicErrors.refusal(plan.excluded(), onlyHealth));
            });
            return;
        }
        InferenceRequest request = inspector.inspect(Endpoint.MESSAGES, body);
        Model model = catalog.find(request.model());
        if (model == null) {
            throw new InvalidRequestException(new OpenAiError(404, "The model you requested does not exist on this "
                    + "gateway; GET /v1/models lists the models you can use.", OpenAiError.INVALID_REQUEST, "model",
                    "model_not_found"));
        }
        exchange.model(model.id());
        String via = dev.veil.protocol.translate.Translations.via(Endpoint.MESSAGES);
        if (!RoutePlanner.serves(model, Endpoint.MESSAGES.api(), via)) {
            // As on every endpoint: no route of the model can serve it at all (a Veil node speaks chat only).
            throw new InvalidRequestException(dev.veil.gateway.policy.EndpointSupport.notServed(Endpoint.MESSAGES));
        }
        // Routes whose upstream speaks neither the Messages API nor (for translation) chat are excluded by the
        // planner with constraint "endpoint"; node routes only natively, which they never are.
        RoutePlan plan = planner.plan(model, exchange.key().policy(), request.policy(), null, Endpoint.MESSAGES.api(),
                via);
        if (plan.candidates().isEmpty()) {
            boolean onlyHealth = plan.onlyHealthExcludedCompliantRoutes();
            int status = dev.veil.protocol.policy.RefusalBody.status(plan.excluded(), onlyHealth);
            reply(exchange, status, AnthropicErrors.refusal(plan.excluded(), onlyHealth));
            return;
        }
        List<Route> candidates = plan.candidates();
        ObjectNode chat = null;
        if (candidates.stream().anyMatch(r -> !r.upstream().speaks(Endpoint.API_MESSAGES))) {
            try {
                chat = MessagesTranslation.request(body);
            } catch (MessagesTranslation.Untranslatable e) {
                // Only the routes that speak the Messages API natively can serve this request.
                List<Route> natives = candidates.stream().filter(r -> r.upstream().speaks(Endpoint.API_MESSAGES)).toList();
                if (natives.isEmpty()) {
                    throw new InvalidRequestException(OpenAiError.invalidRequest(e.param() + ": " + e.getMessage(), e.param(),
                            dev.veil.gateway.policy.EndpointSupport.UNTRANSLATABLE));
                }
                candidates = natives;
            }
        }
        relay.relay(exchange, request, candidates, body, chat);
    }

    private void failWith(Exchange exchange, Throwable failure) {
        if (failure instanceof HttpClosedException) {
            meter.complete(exchange, Exchange.CLIENT_CLOSED);
        } else if (failure instanceof AuthenticationException e) {
            if (e.retryAfterSeconds() > 0) {
                exchange.response().putHeader("retry-after", Integer.toString(e.retryAfterSeconds()));
            }
            error(exchange, e.error());
        } else if (failure instanceof InvalidRequestException e) {
            error(exchange, e.error());
        } else {
            fail(exchange, failure);
        }
    }

    private void fail(Exchange exchange, Throwable failure) {
        LOG.error("request_id={} endpoint={} failed internally: {}", exchange.requestId(), exchange.endpoint(),
                failure.getClass().getName());
        error(exchange, new OpenAiError(500, "The gateway failed to handle this request; the request id identifies it in "
                + "the gateway's logs.", OpenAiError.SERVER, null, "internal_error"));
    }

    /** Answers {@code error} in Anthropic's shape (closing an HTTP/1 connection whose body was not read). */
    private void error(Exchange exchange, OpenAiError error) {
        reply(exchange, error.httpStatus(), AnthropicErrors.body(error));
    }

    private void reply(Exchange exchange, int status, byte[] body) {
        HttpServerResponse response = exchange.response();
        HttpServerRequest request = exchange.request();
        boolean unreadInput = !request.isEnded() && request.version() != HttpVersion.HTTP_2;
        if (unreadInput) {
            response.putHeader("connection", "close");
        }
        meter.complete(exchange, status);
        if (response.ended() || response.closed()) {
            return;
        }
        Future<Void> written = response.setStatusCode(status)
                .putHeader(HeaderNames.CONTENT_TYPE, HeaderNames.APPLICATION_JSON).end(Buffer.buffer(body));
        if (unreadInput) {
            written.onComplete(done -> LingeringClose.after(request));
        }
    }
}
