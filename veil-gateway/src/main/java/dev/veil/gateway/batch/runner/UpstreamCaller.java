package dev.veil.gateway.batch.runner;

import dev.veil.gateway.http.HeaderNames;
import dev.veil.gateway.openai.UsageReader;
import dev.veil.gateway.relay.AttemptWalker;
import dev.veil.gateway.relay.Attempting;
import dev.veil.gateway.relay.UpstreamBody;
import dev.veil.gateway.config.RoutingConfig;
import dev.veil.gateway.openai.InferenceRequest;
import dev.veil.gateway.openai.RequestRewriter;
import dev.veil.gateway.relay.UpstreamClients;
import dev.veil.gateway.relay.UpstreamErrors;
import dev.veil.gateway.routing.CircuitBreaker;
import dev.veil.gateway.routing.Route;
import dev.veil.gateway.routing.RouteHealth;
import dev.veil.gateway.routing.Upstream;
import dev.veil.protocol.OpenAiError;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.RequestOptions;
import java.util.List;

/**
 * Calls the upstream for one batch line, the way {@code InferenceRelay} does for a live request but without a client
 * connection, with the same {@link AttemptWalker}: attempts walk only the planner's candidates (each compliant with the effective policy), retrying and
 * falling back on connect errors, timeouts, 429 and 5xx with exponential backoff and jitter, up to
 * {@code routing.max_attempts}, skipping routes whose circuit breaker is open; other 4xx answers end at once. Only
 * Veil's own headers go upstream (a batch has no client headers to forward). Answers are read within the upstream's
 * size caps and idle timeout and checked as the live relay checks them; a wait for a busy connection pool is retried
 * without counting against the route. Runs on Vert.x event loops; never blocks.
 */
final class UpstreamCaller {


    /** How a call ended: a 2xx answer ({@code body}), or an error for the error file. */
    record Outcome(int status, byte[] body, Route route, OpenAiError error) {
        boolean ok() {
            return error == null;
        }
    }

    private final Vertx vertx;
    private final UpstreamClients clients;
    private final RequestRewriter rewriter;
    private final RouteHealth health;
    private final RoutingConfig routing;
    private final UpstreamErrors errors;
    private final UsageReader usageReader;

    UpstreamCaller(Vertx vertx, UpstreamClients clients, RequestRewriter rewriter, RouteHealth health, RoutingConfig routing,
                   UpstreamErrors errors) {
        this.vertx = vertx;
        this.clients = clients;
        this.rewriter = rewriter;
        this.health = health;
        this.routing = routing;
        this.errors = errors;
        this.usageReader = new UsageReader(errors.json());
    }

    private static final class Attempts {
        final InferenceRequest request;
        final byte[] body;
        final Promise<Outcome> done = Promise.promise();
        AttemptWalker walker;

        Attempts(InferenceRequest request, byte[] body) {
            this.request = request;
            this.body = body;
        }
    }

    Future<Outcome> call(InferenceRequest request, List<Route> candidates, byte[] body) {
        Attempts a = new Attempts(request, body);
        a.walker = new AttemptWalker(vertx, routing, health, candidates, (route, breaker) -> send(a, route, breaker),
                error -> a.done.tryComplete(new Outcome(error.httpStatus(), null, a.walker.lastRoute(), error)),
                () -> false);
        vertx.runOnContext(v -> a.walker.start());
        return a.done.future();
    }

    private void send(Attempts a, Route route, CircuitBreaker breaker) {
        byte[] body;
        try {
            body = rewriter.rewrite(a.body, a.request, route.upstreamModel(), route.forwarding(), true);
        } catch (RuntimeException e) {
            breaker.release();
            a.done.tryFail(e);
            return;
        }
        Upstream upstream = route.upstream();
        RequestOptions options = Attempting.signForNode(upstream,
                Attempting.post(upstream, a.request.endpoint().upstreamPath(), HeaderNames.APPLICATION_JSON), body);
        long started = System.nanoTime();
        clients.get(upstream.name()).request(options).onComplete(created -> {
            if (created.failed()) {
                if (Attempting.poolBusy(created.cause())) {
                    // A local wait for a busy pool: not the upstream's failure.
                    a.walker.busy(breaker);
                } else {
                    failed(a, route, breaker, Attempting.connectionError(created.cause()));
                }
                return;
            }
            created.result().send(Buffer.buffer(body)).onComplete(sent -> {
                if (sent.failed()) {
                    failed(a, route, breaker, Attempting.connectionError(sent.cause()));
                } else {
                    onResponse(a, route, breaker, sent.result(), started);
                }
            });
        });
    }

    private void onResponse(Attempts a, Route route, CircuitBreaker breaker, HttpClientResponse response, long started) {
        Upstream upstream = route.upstream();
        int status = response.statusCode();
        if (status < 200 || status >= 300) {
            UpstreamBody.prefix(vertx, response, upstream.maxErrorBytes(), upstream.idleTimeoutMs()).onComplete(prefix ->
                    onError(a, route, breaker, status, prefix.succeeded() ? prefix.result().getBytes() : new byte[0]));
            return;
        }
        String problem = Attempting.headProblem(false, response.getHeader(HeaderNames.CONTENT_TYPE),
                response.getHeader(HttpHeaders.CONTENT_ENCODING));
        if (problem != null) {
            response.request().reset();
            failed(a, route, breaker, Attempting.invalidResponse(problem));
            return;
        }
        UpstreamBody.whole(vertx, response, upstream.maxResponseBytes(), upstream.idleTimeoutMs()).onComplete(read -> {
            if (read.failed()) {
                failed(a, route, breaker, Attempting.connectionError(read.cause()));
                return;
            }
            byte[] bytes = read.result().getBytes();
            try {
                usageReader.readChecked(bytes, 0, bytes.length, a.request.endpoint().usage());
            } catch (UsageReader.Malformed e) {
                failed(a, route, breaker, Attempting.invalidResponse(e.getMessage()));
                return;
            }
            breaker.success();
            health.stats(route).latency((System.nanoTime() - started) / 1e6);
            a.done.tryComplete(new Outcome(status, bytes, route, null));
        });
    }

    /** The attempt failed because of the upstream: it counts against the route; the next candidate is tried. */
    private void failed(Attempts a, Route route, CircuitBreaker breaker, OpenAiError error) {
        a.walker.failed(route, breaker, error);
    }

    private void onError(Attempts a, Route route, CircuitBreaker breaker, int status, byte[] prefix) {
        OpenAiError error = errors.map(status, prefix);
        if (status == 429 || status >= 500) {
            failed(a, route, breaker, error);
        } else {
            breaker.success();
            a.done.tryComplete(new Outcome(error.httpStatus(), null, route, error));
        }
    }

}
