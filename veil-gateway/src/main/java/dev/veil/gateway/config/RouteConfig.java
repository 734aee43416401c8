package dev.veil.gateway.config;

/**
 * One way to serve a model: an upstream, the upstream's name for the model, a weight, a price and a data policy.
 *
 * @param name     unique within the model; default = the upstream name
 * @param upstream the name of an {@link UpstreamConfig}
 * @param model    the model name the upstream expects; default = the public model id
 * @param weight   the relative share of traffic among equally eligible routes, at least 1; default
 *                 {@value #DEFAULT_WEIGHT}
 * @param price    USD per million tokens; default zero
 * @param policy   the upstream's declared data policy for this route; fields left out count as the worst case
 * @param supportedParameters request parameters this route is known to honour, for
 *                 {@code provider.require_parameters}; {@code null} = not declared (then it satisfies no such request)
 * @param forwardFields request body fields forwarded on this route although Veil removes them by default
 *                 ({@code user}, {@code safety_identifier}, {@code metadata}, {@code prompt_cache_key}) or does not know
 *                 them (an engine's own parameter); default none
 * @param store    what a request's {@code store: true} gets on this route: {@value #STORE_FORCE_FALSE} (the default,
 *                 and the only choice on a zero-retention route) or {@value #STORE_REFUSE} (the route is excluded)
 * @param tokenizer how Veil counts tokens when the upstream reports no usage: an encoding name such as
 *                  {@code o200k_base} or {@code cl100k_base}, or {@code none} for the byte estimate; {@code null} =
 *                  the encoding OpenAI uses for the route's model name when known, else the byte estimate
 */
public record RouteConfig(String name, String upstream, String model, int weight, PriceConfig price,
                          PolicyConfig policy, java.util.List<String> supportedParameters,
                          java.util.List<String> forwardFields, String store, String tokenizer) {

    /** Default weight. */
    public static final int DEFAULT_WEIGHT = 1;
    /** {@code store} is sent as {@code false}. */
    public static final String STORE_FORCE_FALSE = "force_false";
    /** A request asking {@code store: true} may not use this route. */
    public static final String STORE_REFUSE = "refuse";

    /**
     * Applies defaults: {@code name} falls back to {@code upstream}, {@code price} to {@link PriceConfig#ZERO},
     * {@code policy} to {@link PolicyConfig#UNKNOWN}. ({@code model} defaults to the model id, which only the loader
     * knows.)
     */
    public RouteConfig {
        name = name == null ? upstream : name;
        price = price == null ? PriceConfig.ZERO : price;
        policy = policy == null ? PolicyConfig.UNKNOWN : policy;
        supportedParameters = supportedParameters == null ? null : java.util.List.copyOf(supportedParameters);
        forwardFields = forwardFields == null ? java.util.List.of() : java.util.List.copyOf(forwardFields);
        store = store == null ? STORE_FORCE_FALSE : store;
    }

    /** A route without declared parameters, forwarding rules or tokenizer. */
    public RouteConfig(String name, String upstream, String model, int weight, PriceConfig price, PolicyConfig policy) {
        this(name, upstream, model, weight, price, policy, null, null, null, null);
    }

    /** A route without a declared tokenizer. */
    public RouteConfig(String name, String upstream, String model, int weight, PriceConfig price, PolicyConfig policy,
                       java.util.List<String> supportedParameters, java.util.List<String> forwardFields, String store) {
        this(name, upstream, model, weight, price, policy, supportedParameters, forwardFields, store, null);
    }

    /** The forwarding rules this route's configuration gives. */
    public dev.veil.protocol.policy.ForwardRules forwardRules() {
        return new dev.veil.protocol.policy.ForwardRules(java.util.Set.copyOf(forwardFields), STORE_REFUSE.equals(store));
    }
}
