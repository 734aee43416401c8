package dev.veil.gateway.metering;

import dev.veil.gateway.http.Exchange;
import dev.veil.gateway.limits.KeyLimits;
import dev.veil.gateway.ops.GatewayMetrics;
import dev.veil.gateway.routing.Route;
import dev.veil.store.MeteringWriter;
import dev.veil.store.RequestRecord;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Meters each completed request: Prometheus metrics for every request, and a request-log row (and ledger increment)
 * for every authenticated one. Only metadata is recorded; the write happens in batches off the event loop.
 */
public final class RequestMeter {

    private static final Logger ACCESS = LoggerFactory.getLogger("veil.access");

    private final GatewayMetrics metrics;
    private final MeteringWriter writer;
    private final KeyLimits limits;

    public RequestMeter(GatewayMetrics metrics, MeteringWriter writer, KeyLimits limits) {
        this.metrics = metrics;
        this.writer = writer;
        this.limits = limits;
    }

    /** Records the exchange's outcome once; later calls for the same exchange are ignored. */
    public void complete(Exchange exchange, int status) {
        if (!exchange.markCompleted()) {
            return;
        }
        long latencyNanos = System.nanoTime() - exchange.startNanos();
        long ttftNanos = exchange.timeToFirstTokenNanos();
        Route route = exchange.route();
        boolean inference = isMeteredEndpoint(exchange.endpoint());
        String modelLabel = exchange.model() != null ? exchange.model() : (inference ? GatewayMetrics.UNKNOWN : null);
        metrics.observe(exchange.endpoint(), modelLabel, route == null ? null : route.name(), status, latencyNanos,
                ttftNanos, exchange.usage());
        if (ACCESS.isDebugEnabled()) {
            ACCESS.debug("request_id={} endpoint={} status={} latency_us={}", exchange.requestId(), exchange.endpoint(),
                    status, TimeUnit.NANOSECONDS.toMicros(latencyNanos));
        }
        if (exchange.key() == null || !inference) {
            return;
        }
        var usage = exchange.usage();
        RequestRecord record = new RequestRecord(
                exchange.requestId(),
                exchange.key().id(),
                exchange.startedAt().truncatedTo(ChronoUnit.SECONDS),
                exchange.endpoint(),
                exchange.model() == null ? GatewayMetrics.UNKNOWN : exchange.model(),
                route == null ? null : route.name(),
                route == null ? null : route.mode().wireName(),
                status,
                TimeUnit.NANOSECONDS.toMillis(latencyNanos),
                ttftNanos < 0 ? null : TimeUnit.NANOSECONDS.toMillis(ttftNanos),
                usage.promptTokens(),
                usage.completionTokens(),
                usage.totalTokens(),
                route == null ? 0 : route.price().costMicros(usage));
        writer.record(record);
        limits.settle(exchange.key(), usage.totalTokens(), record.costMicros());
    }

    private static boolean isMeteredEndpoint(String endpoint) {
        return endpoint.equals("chat.completions") || endpoint.equals("completions") || endpoint.equals("embeddings");
    }
}
