package dev.veil.client.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.client.VeilClient;
import dev.veil.http.BoundedBody;
import dev.veil.protocol.OpenAiError;
import io.vertx.core.Handler;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's request handler: validates the local request, then hands inference to a {@link ProxyExchange} (every
 * e2ee endpoint: chat completions, completions, embeddings, the Responses API and Anthropic's Messages API, whose
 * errors are answered in Anthropic's shape), and
 * answers {@code /v1/models} from the gateway's list, keeping only the models it can serve (those in {@code e2ee}
 * mode). Runs on the event loop and never blocks it.
 */
final class ProxyHandler implements Handler<HttpServerRequest> {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyHandler.class);
    static final long MAX_REQUEST_BYTES = 16L * 1024 * 1024;
    /**
     * The largest model list taken from the gateway. It is parsed on the event loop (to keep only the e2ee models), so
     * the cap keeps that a moment's work; a gateway's list is a few kilobytes.
     */
    static final int MAX_FORWARDED_BYTES = 1024 * 1024;
    /** The longest silence from the gateway, before and during its answer. */
    static final int IDLE_TIMEOUT_SECONDS = 300;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODELS = "/v1/models";

    final VeilClient client;
    final WorkerExecutor workers;
    final HttpClient gateway;
    final GatewayTarget target;
    final String apiKey;

    ProxyHandler(VeilClient client, WorkerExecutor workers, HttpClient gateway, GatewayTarget target, String apiKey) {
        this.client = client;
        this.workers = workers;
        this.gateway = gateway;
        this.target = target;
        this.apiKey = apiKey;
    }

    @Override
    public void handle(HttpServerRequest request) {
        try {
            String path = request.path();
            dev.veil.protocol.api.Endpoint endpoint = dev.veil.protocol.api.Endpoint.byPath(path);
            if (endpoint != null && endpoint.e2ee()) {
                inference(request, path);
                return;
            }
            switch (path) {
                case MODELS -> models(request);
                case "/health" -> {
                    if (request.method() == HttpMethod.GET || request.method() == HttpMethod.HEAD) {
                        json(request.response(), 200, "{\"status\":\"ok\"}".getBytes(StandardCharsets.US_ASCII));
                    } else {
                        methodNotAllowed(request, "GET");
                    }
                }
                default -> {
                    if (path.startsWith(MODELS + "/")) {
                        models(request);
                    } else {
                        error(request, new OpenAiError(404, "Unknown path. The Veil proxy serves "
                                + dev.veil.protocol.api.Endpoint.paths(dev.veil.protocol.api.Endpoint::e2ee)
                                + " and /v1/models.", OpenAiError.INVALID_REQUEST, null,
                                "unknown_url"));
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.error("proxy request failed internally: {}", e.getClass().getName());
            error(request, ProxyErrors.of(e, target.origin()));
        }
    }

    private void inference(HttpServerRequest request, String path) {
        if (request.method() != HttpMethod.POST) {
            methodNotAllowed(request, "POST");
            return;
        }
        BoundedBody.read(request, MAX_REQUEST_BYTES).onComplete(read -> {
            if (read.failed()) {
                error(request, ProxyErrors.of(read.cause(), target.origin()));
                return;
            }
            byte[] body = read.result();
            JsonNode root;
            try {
                root = JSON.readTree(body);
            } catch (IOException e) {
                root = null;
            }
            if (root == null || !root.isObject()) {
                error(request, OpenAiError.invalidRequest("We could not parse the JSON body of your request: send a "
                        + "JSON object (Content-Type: application/json).", null, "invalid_json"));
                return;
            }
            JsonNode model = root.get("model");
            if (model == null || model.isNull()) {
                error(request, OpenAiError.invalidRequest("You must provide a model parameter.", "model",
                        "missing_required_parameter"));
                return;
            }
            if (!model.isTextual() || model.asText().isBlank()) {
                error(request, OpenAiError.invalidRequest("The model parameter must be a non-empty string.", "model",
                        "invalid_type"));
                return;
            }
            JsonNode stream = root.get("stream");
            if (stream != null && !stream.isNull() && !stream.isBoolean()) {
                error(request, OpenAiError.invalidRequest("The stream parameter must be true or false.", "stream",
                        "invalid_type"));
                return;
            }
            boolean streaming = stream != null && stream.booleanValue();
            new ProxyExchange(this, request, path, model.asText(), streaming, body).start();
        });
    }

    /**
     * {@code GET /v1/models[/{id}]}: asked of the gateway with the proxy's key (they carry no content); of its answer
     * only the models whose privacy mode is {@code e2ee} are shown, as the proxy can serve no other.
     */
    private void models(HttpServerRequest request) {
        if (request.method() != HttpMethod.GET) {
            methodNotAllowed(request, "GET");
            return;
        }
        RequestOptions options = gatewayRequest(HttpMethod.GET, request.uri()).putHeader("accept", "application/json");
        HttpServerResponse response = request.response();
        gateway.request(options).compose(r -> r.send()).onComplete(sent -> {
            if (sent.failed()) {
                error(request, ProxyErrors.of(sent.cause(), target.origin()));
                return;
            }
            HttpClientResponse upstream = sent.result();
            collect(upstream, MAX_FORWARDED_BYTES, body -> {
                if (body == null) {
                    error(request, new OpenAiError(502, "The gateway's model list was cut off or too large.",
                            OpenAiError.UPSTREAM, null, "gateway_connection_failed"));
                    return;
                }
                if (response.closed() || response.ended()) {
                    return;
                }
                if (upstream.statusCode() == 200) {
                    endWithE2eeModelsOnly(request, body);
                    return;
                }
                String contentType = upstream.getHeader("content-type");
                response.setStatusCode(upstream.statusCode())
                        .putHeader("content-type", contentType == null ? "application/json" : contentType)
                        .end(body);
            });
        });
    }

    /** Whether a model of the gateway's list is served end to end encrypted (every route a Veil node). */
    static boolean e2ee(JsonNode model) {
        return "e2ee".equals(model.path("privacy").path("mode").asText());
    }

    private static void endWithE2eeModelsOnly(HttpServerRequest request, Buffer body) {
        JsonNode root;
        try {
            root = JSON.readTree(body.getBytes());
        } catch (IOException e) {
            root = null;
        }
        if (root == null || !root.isObject()) {
            error(request, new OpenAiError(502, "The gateway's model list is not JSON.", OpenAiError.UPSTREAM, null,
                    "gateway_invalid_response"));
            return;
        }
        if (root.has("data")) {
            com.fasterxml.jackson.databind.node.ArrayNode kept = JSON.createArrayNode();
            root.path("data").forEach(m -> {
                if (e2ee(m)) {
                    kept.add(m);
                }
            });
            ((com.fasterxml.jackson.databind.node.ObjectNode) root).set("data", kept);
        } else if (!e2ee(root)) {
            error(request, new OpenAiError(404, "veil proxy serves only end-to-end encrypted models, and this one is "
                    + "not served by attested Veil nodes. GET /v1/models on the proxy lists the models it can serve.",
                    OpenAiError.INVALID_REQUEST, "model", "model_not_e2ee"));
            return;
        }
        try {
            json(request.response(), 200, JSON.writeValueAsBytes(root));
        } catch (IOException e) {
            error(request, new OpenAiError(500, "The proxy failed to write the model list (" + e.getClass().getSimpleName()
                    + ").", OpenAiError.SERVER, null, "internal_error"));
        }
    }

    /** Options for a request to the gateway, with the proxy's API key. */
    RequestOptions gatewayRequest(HttpMethod method, String uri) {
        return new RequestOptions()
                .setMethod(method)
                .setHost(target.host())
                .setPort(target.port())
                .setSsl(target.ssl())
                .setURI(target.basePath() + uri)
                .setConnectTimeout(10_000)
                .setIdleTimeout(IDLE_TIMEOUT_SECONDS * 1_000L)
                .putHeader("authorization", "Bearer " + apiKey)
                // The proxy verifies every gateway receipt, so it asks for them signed (signed only on request).
                .putHeader(dev.veil.protocol.receipt.GatewayReceipt.SIGN_REQUEST_HEADER, "true");
    }

    /** Collects a response body up to {@code limit} bytes; {@code null} when it fails or is larger. */
    static void collect(HttpClientResponse upstream, int limit, Consumer<Buffer> done) {
        Buffer body = Buffer.buffer();
        boolean[] over = {false};
        upstream.handler(chunk -> {
            if (over[0]) {
                return;
            }
            if (body.length() + chunk.length() > limit) {
                over[0] = true;
                upstream.request().reset();
                done.accept(null);
                return;
            }
            body.appendBuffer(chunk);
        });
        upstream.exceptionHandler(t -> {
            if (!over[0]) {
                over[0] = true;
                done.accept(null);
            }
        });
        upstream.endHandler(v -> {
            if (!over[0]) {
                over[0] = true;
                done.accept(body);
            }
        });
    }

    private static void methodNotAllowed(HttpServerRequest request, String allowed) {
        request.response().putHeader("allow", allowed);
        error(request, new OpenAiError(405, "This path accepts only " + allowed + ".", OpenAiError.INVALID_REQUEST, null,
                "method_not_allowed"));
    }

    static void error(HttpServerRequest request, OpenAiError error) {
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed() || response.headWritten()) {
            return;
        }
        boolean unreadInput = !request.isEnded() && request.version() != HttpVersion.HTTP_2;
        if (unreadInput) {
            // The body was not (fully) read; closing keeps an HTTP/1 connection from reading it as the next request.
            response.putHeader("connection", "close");
        }
        // Anthropic's clients read errors in Anthropic's shape, on the Messages path.
        io.vertx.core.Future<Void> written = json(response, error.httpStatus(), anthropic(request)
                ? dev.veil.protocol.AnthropicErrors.body(error) : error.toJson());
        if (unreadInput) {
            // Vert.x does not close by itself while the request is paused: close once the answer is on the wire.
            written.onComplete(done -> dev.veil.http.LingeringClose.after(request));
        }
    }

    /** Whether the request is to Anthropic's Messages API, whose errors take Anthropic's shape. */
    static boolean anthropic(HttpServerRequest request) {
        return dev.veil.protocol.api.Endpoint.MESSAGES.path().equals(request.path());
    }

    static io.vertx.core.Future<Void> json(HttpServerResponse response, int status, byte[] body) {
        if (response.ended() || response.closed()) {
            return io.vertx.core.Future.succeededFuture();
        }
        return response.setStatusCode(status).putHeader("content-type", "application/json").end(Buffer.buffer(body));
    }
}
