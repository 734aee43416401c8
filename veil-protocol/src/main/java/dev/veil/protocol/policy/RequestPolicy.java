package dev.veil.protocol.policy;

import java.util.List;

/**
 * What a request asks of routing, from Veil's {@code privacy} object, OpenRouter's {@code provider} object and
 * {@code models} array, and AnyAPI's {@code data_policy} and {@code providers} objects. All of these are removed
 * before the request is forwarded.
 *
 * @param constraints    requirements every candidate route must meet
 * @param order          route (or upstream) names to try first, in this order ({@code provider.order})
 * @param allowFallbacks whether routes beyond the first choice (or beyond {@code order}) may be tried
 * @param sort           how to rank compliant routes; {@code null} = weighted load balancing
 * @param fallbackModels further public model ids to try in order ({@code models})
 */
public record RequestPolicy(List<Constraint> constraints, List<String> order, boolean allowFallbacks, Sort sort,
                            List<String> fallbackModels) {

    /** A request that asks nothing of routing. */
    public static final RequestPolicy NONE = new RequestPolicy(List.of(), List.of(), true, null, List.of());

    public RequestPolicy {
        constraints = List.copyOf(constraints);
        order = List.copyOf(order);
        fallbackModels = List.copyOf(fallbackModels);
    }

    /** Ranking of compliant routes. */
    public enum Sort {
        /** Cheapest first (prompt plus completion price per million tokens). */
        PRICE,
        /** Lowest observed latency first. */
        LATENCY,
        /** Highest observed tokens per second first. */
        THROUGHPUT
    }
}
