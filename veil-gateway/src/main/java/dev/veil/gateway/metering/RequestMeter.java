package dev.veil.gateway.metering;

import dev.veil.gateway.http.Exchange;
import dev.veil.gateway.limits.KeyLimits;
import dev.veil.gateway.ops.GatewayMetrics;
import dev.veil.gateway.routing.Route;
import dev.veil.store.MeteringWriter;
import dev.veil.store.RequestRecord;
import dev.veil.gateway.openai.Usage;
import dev.veil.store.ApiKeyRecord;
import dev.veil.protocol.RequestLogMode;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Meters each completed request: Prometheus metrics for every request, and a request-log record (and ledger increment)
 * for every authenticated one, kept as the key's metadata minimisation allows (a row with its time cut to the second,
 * minute or hour, or only daily totals). Only metadata is recorded; the write happens in batches off the event loop.
 */
public final class RequestMeter {

    private static final Logger ACCESS = LoggerFactory.getLogger("veil.access");

    private final GatewayMetrics metrics;
    private final MeteringWriter writer;
    private final KeyLimits limits;
    private final MetadataMinimisation minimisation;

    public RequestMeter(GatewayMetrics metrics, MeteringWriter writer, KeyLimits limits,
                        MetadataMinimisation minimisation) {
        this.metrics = metrics;
        this.writer = writer;
        this.limits = limits;
        this.minimisation = minimisation;
    }

    /** What the request log keeps for each key. */
    public MetadataMinimisation minimisation() {
        return minimisation;
    }

    /** A new request id for a request of {@code key} (a batch line) arriving at {@code startedAt}. */
    public String requestId(ApiKeyRecord key, Instant startedAt) {
        return minimisation.requestId(key, startedAt.toEpochMilli());
    }

    /** Records the exchange's outcome once; later calls for the same exchange are ignored. */
    public void complete(Exchange exchange, int status) {
        if (!exchange.markCompleted()) {
            return;
        }
        exchange.releaseLease();
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
        RequestLogMode logMode = minimisation.mode(exchange.key());
        RequestRecord record = new RequestRecord(
                exchange.requestId(),
                exchange.key().id(),
                logMode.truncate(exchange.startedAt()),
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
                route == null ? 0 : route.price().costMicros(usage),
                logMode,
                usage.estimated());
        writer.record(record);
        limits.settle(exchange.key(), usage.totalTokens(), record.costMicros());
    }

    /**
     * Meters one batch line that was routed (or refused by policy), like a live request: metrics labelled with the
     * fixed endpoint label (e.g. {@code batch.chat.completions}) and the key's rate and budget settlement. Metadata
     * only. The request-log row (and ledger increment) is returned, not queued: the batch commits it in the same
     * transaction as the progress of the line's chunk, so a crash can neither lose nor repeat it.
     *
     * @return the line's request record, for {@code BatchRepository.commitProgress}
     */
    public RequestRecord completeBatchLine(String requestId, ApiKeyRecord key, Instant startedAt, long startNanos,
                                  String endpointLabel, String model, Route route, int status, Usage usage) {
        long latencyNanos = System.nanoTime() - startNanos;
        Usage u = usage == null ? Usage.NONE : usage;
        metrics.observe(endpointLabel, model, route == null ? null : route.name(), status, latencyNanos, -1, u);
        if (ACCESS.isDebugEnabled()) {
            ACCESS.debug("request_id={} endpoint={} status={} latency_us={}", requestId, endpointLabel, status,
                    TimeUnit.NANOSECONDS.toMicros(latencyNanos));
        }
        RequestLogMode logMode = minimisation.mode(key);
        RequestRecord record = new RequestRecord(requestId, key.id(), logMode.truncate(startedAt),
                endpointLabel, model, route == null ? null : route.name(), route == null ? null : route.mode().wireName(),
                status, TimeUnit.NANOSECONDS.toMillis(latencyNanos), null, u.promptTokens(), u.completionTokens(),
                u.totalTokens(), route == null ? 0 : route.price().costMicros(u), logMode, u.estimated());
        limits.settle(key, u.totalTokens(), record.costMicros());
        return record;
    }

    private static boolean isMeteredEndpoint(String endpoint) {
        return endpoint.equals("chat.completions") || endpoint.equals("completions") || endpoint.equals("embeddings")
                || endpoint.equals("messages");
    }
}
