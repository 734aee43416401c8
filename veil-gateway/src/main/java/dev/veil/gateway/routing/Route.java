package dev.veil.gateway.routing;

import dev.veil.protocol.DataPolicy;
import dev.veil.protocol.PrivacyMode;
import dev.veil.tokens.Tokenizer;

/**
 * One way to serve a public model: an upstream, the model name that upstream knows, and its provider's data policy.
 *
 * @param modelId       the public model id this route serves
 * @param name          the route's name, unique within the model; shown to clients in {@code x-veil-route}
 * @param upstream      where requests go
 * @param upstreamModel the model name sent upstream
 * @param weight        its share of traffic among the model's routes
 * @param price         what a token costs on this route
 * @param policy        the provider's declared data policy
 * @param supportedParameters request parameters the route declares it honours; {@code null} = not declared
 * @param forwarding    what the operator allows this route to receive beyond the documented request fields
 * @param tokenizer     how Veil counts tokens when the upstream reports no usage
 */
public record Route(String modelId, String name, Upstream upstream, String upstreamModel, int weight, Price price,
                    DataPolicy policy, java.util.Set<String> supportedParameters,
                    dev.veil.protocol.policy.ForwardRules forwarding, Tokenizer tokenizer)
        implements dev.veil.protocol.policy.PolicyTarget {

    /** A route whose tokenizer follows its upstream model name ({@link Tokenizer#forModel(String)}). */
    public Route(String modelId, String name, Upstream upstream, String upstreamModel, int weight, Price price,
                 DataPolicy policy, java.util.Set<String> supportedParameters,
                 dev.veil.protocol.policy.ForwardRules forwarding) {
        this(modelId, name, upstream, upstreamModel, weight, price, policy, supportedParameters, forwarding,
                Tokenizer.forModel(upstreamModel));
    }

    @Override
    public String upstreamName() {
        return upstream.name();
    }

    @Override
    public Double promptPrice() {
        return price.inputPerMillion();
    }

    @Override
    public Double completionPrice() {
        return price.outputPerMillion();
    }

    @Override
    public boolean refusesStore() {
        return forwarding.refuseStore();
    }

    /** The privacy mode this route guarantees. */
    @Override
    public PrivacyMode mode() {
        return policy.mode();
    }

    /** Whether the route goes to an attested Veil node (e2ee transport). */
    public boolean node() {
        return upstream.node();
    }

    /**
     * This route as a plaintext request sees it: a node route is then {@code tee}, not {@code e2ee}, because the
     * gateway (acting as the e2ee client toward the node) sees the plaintext.
     */
    public Route forPlaintext() {
        if (!Boolean.TRUE.equals(policy.e2ee())) {
            return this;
        }
        DataPolicy p = policy;
        return new Route(modelId, name, upstream, upstreamModel, weight, price,
                new DataPolicy(p.trains(), p.retentionDays(), p.zdr(), p.tee(), false, p.jurisdiction(), p.policyUrl()),
                supportedParameters, forwarding, tokenizer);
    }
}
