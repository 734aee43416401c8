package dev.veil.gateway.relay;

import com.fasterxml.jackson.core.JsonFactory;
import dev.veil.gateway.http.Exchange;
import dev.veil.gateway.http.Responses;
import dev.veil.gateway.metering.RequestMeter;
import dev.veil.gateway.openai.InferenceRequest;
import dev.veil.gateway.openai.Usage;
import dev.veil.gateway.openai.UsageReader;
import dev.veil.gateway.routing.Route;
import dev.veil.gateway.routing.Upstream;
import dev.veil.protocol.OpenAiError;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import java.net.ConnectException;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends an accepted request to its route's upstream and relays the answer. Streams pass through event by event with
 * backpressure; a client that goes away resets the upstream request so generation stops; an upstream that fails
 * mid-stream ends the client's stream with an error event. Nothing here logs content: failures are logged by
 * exception class only.
 */
public final class InferenceRelay {

    private static final Logger LOG = LoggerFactory.getLogger(InferenceRelay.class);
    private static final String EVENT_STREAM = "text/event-stream";

    private final UpstreamClients clients;
    private final RequestMeter meter;
    private final UsageReader usageReader;
    private final UpstreamErrors upstreamErrors;
    private final List<String> forwardHeaders;

    /**
     * @param forwardHeaders client request headers (lower case) the operator allows through; everything else, and
     *                       always the caller's credential and addresses, stays behind
     */
    public InferenceRelay(UpstreamClients clients, JsonFactory json, RequestMeter meter, List<String> forwardHeaders) {
        this.clients = clients;
        this.meter = meter;
        this.usageReader = new UsageReader(json);
        this.upstreamErrors = new UpstreamErrors(json);
        this.forwardHeaders = List.copyOf(forwardHeaders);
    }

    /** Relays {@code upstreamBody} (already rewritten for the route) and answers the exchange. */
    public void relay(Exchange exchange, InferenceRequest request, Route route, byte[] upstreamBody) {
        HttpServerResponse response = exchange.response();
        response.putHeader("x-veil-route", route.name());
        response.putHeader("x-veil-privacy-mode", route.mode().wireName());
        Upstream upstream = route.upstream();
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost(upstream.baseUrl().getHost())
                .setPort(upstream.port())
                .setSsl(upstream.ssl())
                .setURI(upstream.basePath() + request.endpoint().upstreamPath())
                .setConnectTimeout(upstream.connectTimeoutMs())
                .setIdleTimeout(upstream.idleTimeoutMs())
                .putHeader("content-type", Responses.JSON)
                .putHeader("accept", request.stream() ? EVENT_STREAM : Responses.JSON);
        upstream.staticHeaders().forEach(options::putHeader);
        upstream.bearerToken().ifPresent(token -> options.putHeader("authorization", "Bearer " + token));
        HttpServerRequest client = exchange.request();
        for (String name : forwardHeaders) {
            String value = client.getHeader(name);
            if (value != null) {
                options.putHeader(name, value);
            }
        }
        clients.get(upstream.name()).request(options).onComplete(created -> {
            if (created.failed()) {
                failBeforeResponse(exchange, created.cause());
                return;
            }
            HttpClientRequest upstreamRequest = created.result();
            response.closeHandler(v -> {
                if (!response.ended()) {
                    // The client went away: stop the generation (and its billing) upstream. Metered first, because
                    // the reset fails the upstream response synchronously and that path would meter a 502.
                    meter.complete(exchange, Exchange.CLIENT_CLOSED);
                    upstreamRequest.reset();
                }
            });
            upstreamRequest.send(Buffer.buffer(upstreamBody)).onComplete(sent -> {
                if (sent.failed()) {
                    failBeforeResponse(exchange, sent.cause());
                } else {
                    onUpstreamResponse(exchange, request, sent.result());
                }
            });
        });
    }

    private void onUpstreamResponse(Exchange exchange, InferenceRequest request, HttpClientResponse upstream) {
        int status = upstream.statusCode();
        if (status < 200 || status >= 300) {
            upstream.body().onComplete(body -> {
                OpenAiError error = upstreamErrors.map(status, body.succeeded() ? body.result().getBytes() : new byte[0]);
                meter.complete(exchange, error.httpStatus());
                Responses.error(exchange.response(), error);
            });
            return;
        }
        String contentType = upstream.getHeader("content-type");
        if (request.stream() && contentType != null && contentType.startsWith(EVENT_STREAM)) {
            relayStream(exchange, request, upstream);
        } else {
            relayWhole(exchange, upstream, status, contentType);
        }
    }

    private void relayWhole(Exchange exchange, HttpClientResponse upstream, int status, String contentType) {
        upstream.body().onComplete(body -> {
            if (body.failed()) {
                failBeforeResponse(exchange, body.cause());
                return;
            }
            Buffer bytes = body.result();
            byte[] raw = bytes.getBytes();
            exchange.usage(usageReader.read(raw, 0, raw.length));
            meter.complete(exchange, status);
            HttpServerResponse response = exchange.response();
            if (!response.closed() && !response.ended()) {
                response.setStatusCode(status)
                        .putHeader("content-type", contentType == null ? Responses.JSON : contentType)
                        .end(bytes);
            }
        });
    }

    private void relayStream(Exchange exchange, InferenceRequest request, HttpClientResponse upstream) {
        HttpServerResponse response = exchange.response();
        SseUsageFilter filter = new SseUsageFilter(usageReader, request.clientWantsUsage());
        response.closeHandler(v -> {
            if (!response.ended()) {
                // The client left mid-stream: bill what was generated so far, then stop the generation.
                exchange.usage(usageOrEstimate(filter));
                meter.complete(exchange, Exchange.CLIENT_CLOSED);
                upstream.request().reset();
            }
        });
        response.setStatusCode(200)
                .setChunked(true)
                .putHeader("content-type", "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-cache");
        upstream.handler(chunk -> {
            exchange.firstToken();
            Buffer out = filter.accept(chunk);
            if (out.length() > 0 && !response.closed()) {
                response.write(out);
                if (response.writeQueueFull()) {
                    upstream.pause();
                    response.drainHandler(v -> upstream.resume());
                }
            }
        });
        upstream.exceptionHandler(failure -> {
            LOG.debug("request_id={} upstream stream failed: {}", exchange.requestId(), failure.getClass().getSimpleName());
            exchange.usage(usageOrEstimate(filter));
            meter.complete(exchange, 502);
            endStreamWithError(exchange, "The upstream connection failed mid-stream; the response is incomplete.",
                    failure instanceof TimeoutException ? "upstream_timeout" : "upstream_stream_interrupted");
        });
        upstream.endHandler(v -> {
            Buffer rest = filter.finish();
            if (rest.length() > 0 && !response.closed()) {
                response.write(rest);
            }
            exchange.usage(usageOrEstimate(filter));
            if (!filter.sawDone()) {
                meter.complete(exchange, 502);
                endStreamWithError(exchange, "The upstream ended the stream early; the response is incomplete.",
                        "upstream_stream_truncated");
                return;
            }
            meter.complete(exchange, 200);
            if (!response.closed() && !response.ended()) {
                response.end();
            }
        });
    }

    private static Usage usageOrEstimate(SseUsageFilter filter) {
        if (filter.usage() != null) {
            return filter.usage();
        }
        // An interrupted stream may lose the usage chunk: bill one token per content event, which is what
        // OpenAI-compatible servers emit.
        long events = filter.dataEvents();
        return new Usage(0, events, events);
    }

    private static void endStreamWithError(Exchange exchange, String message, String code) {
        HttpServerResponse response = exchange.response();
        if (response.closed() || response.ended()) {
            return;
        }
        OpenAiError error = new OpenAiError(502, message, OpenAiError.UPSTREAM, null, code);
        response.end(Buffer.buffer("data: ").appendBytes(error.toJson()).appendString("\n\n"));
    }

    private void failBeforeResponse(Exchange exchange, Throwable cause) {
        LOG.debug("request_id={} upstream request failed: {}", exchange.requestId(), cause.getClass().getSimpleName());
        OpenAiError error;
        if (cause instanceof TimeoutException) {
            error = new OpenAiError(504, "The upstream provider did not answer in time; retry later.",
                    OpenAiError.UPSTREAM, null, "upstream_timeout");
        } else if (cause instanceof ConnectException) {
            error = new OpenAiError(502, "The upstream provider could not be reached; retry later.",
                    OpenAiError.UPSTREAM, null, "upstream_unavailable");
        } else {
            error = new OpenAiError(502, "The connection to the upstream provider failed; retry later.",
                    OpenAiError.UPSTREAM, null, "upstream_connection_failed");
        }
        HttpServerResponse response = exchange.response();
        meter.complete(exchange, response.closed() ? Exchange.CLIENT_CLOSED : error.httpStatus());
        if (response.headWritten()) {
            endStreamWithError(exchange, error.message(), error.code());
        } else {
            Responses.error(response, error);
        }
    }
}
