package dev.veil.gateway.ops;

import dev.veil.gateway.openai.Usage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Prometheus metrics. Labels are only ever drawn from the operator's configuration (endpoint, model id, route name)
 * and the status class: never a key id, a client-supplied string or content. An unknown model is labelled
 * {@code unknown}, so a client cannot mint label values.
 */
public final class GatewayMetrics {

    /** Label for requests that named no configured model. */
    public static final String UNKNOWN = "unknown";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ConcurrentHashMap<String, Meters> meters = new ConcurrentHashMap<>();

    private record Meters(Counter requests, Timer latency, Timer ttft, Counter promptTokens, Counter completionTokens,
                          Counter usageEstimated) {
    }

    /** Label for requests that concern no model (health, metrics, usage, admin). */
    public static final String NONE = "none";

    /**
     * Records one completed request. {@code model} and {@code route} must come from configuration, be
     * {@link #UNKNOWN}, or be null (no model or route involved).
     */
    public void observe(String endpoint, String model, String route, int status, long latencyNanos, long ttftNanos,
                        Usage usage) {
        String m = model == null ? NONE : model;
        String r = route == null ? NONE : route;
        String statusClass = (status / 100) + "xx";
        Meters meter = meters.computeIfAbsent(endpoint + '\u0000' + m + '\u0000' + r + '\u0000' + statusClass,
                k -> register(endpoint, m, r, statusClass));
        meter.requests.increment();
        meter.latency.record(latencyNanos, TimeUnit.NANOSECONDS);
        if (ttftNanos >= 0) {
            meter.ttft.record(ttftNanos, TimeUnit.NANOSECONDS);
        }
        if (usage.promptTokens() > 0) {
            meter.promptTokens.increment(usage.promptTokens());
        }
        if (usage.completionTokens() > 0) {
            meter.completionTokens.increment(usage.completionTokens());
        }
        if (usage.estimated()) {
            meter.usageEstimated.increment();
        }
    }

    /** Registers a gauge read at scrape time, e.g. the metering queue's drop count. */
    public void gauge(String name, String description, Supplier<Number> value) {
        io.micrometer.core.instrument.Gauge.builder(name, value).description(description).register(registry);
    }

    /** The Prometheus text exposition of all metrics. */
    public String scrape() {
        return registry.scrape();
    }

    private Meters register(String endpoint, String model, String route, String statusClass) {
        String[] tags = {"endpoint", endpoint, "model", model, "route", route, "status_class", statusClass};
        return new Meters(
                Counter.builder("veil_requests").description("Requests completed").tags(tags).register(registry),
                Timer.builder("veil_request_duration").description("Time from request arrival to response end")
                        .tags(tags).register(registry),
                Timer.builder("veil_time_to_first_token").description("Time from request arrival to the first streamed event")
                        .tags(tags).register(registry),
                Counter.builder("veil_prompt_tokens").description("Prompt tokens billed (reported by upstreams, or "
                                + "counted by Veil when they reported none)").tags(tags).register(registry),
                Counter.builder("veil_completion_tokens").description("Completion tokens billed (reported by upstreams, "
                                + "or counted by Veil when they reported none)").tags(tags).register(registry),
                Counter.builder("veil_usage_estimated").description("Requests billed by Veil's own token count because "
                                + "the upstream reported no usage").tags(tags).register(registry));
    }
}
