package dev.veil.gateway.anthropic;

import dev.veil.gateway.routing.Model;
import dev.veil.gateway.routing.Route;
import dev.veil.protocol.policy.Constraint;
import dev.veil.protocol.policy.PolicyTarget;
import dev.veil.protocol.policy.RequestPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Which routes can serve an endpoint at all, as a planner constraint named {@value #NAME} (so a refusal names it like
 * any other): a Messages request needs a route that is not a Veil node (nodes speak the OpenAI API, and the Messages
 * API has no e2ee or tee path yet); an OpenAI request needs a route whose upstream is not {@code api: anthropic}.
 */
public final class ApiConstraint implements Constraint {

    /** The constraint's name in refusals. */
    public static final String NAME = "api";

    /** For {@code /v1/messages}. */
    public static final ApiConstraint MESSAGES = new ApiConstraint(Route::node,
            "the route is a Veil node, which does not serve the Messages API");
    /** For the OpenAI endpoints. */
    public static final ApiConstraint OPENAI = new ApiConstraint(route -> route.upstream().anthropic(),
            "the route's upstream speaks only Anthropic's Messages API; send this model's requests to /v1/messages");

    private final Predicate<Route> excluded;
    private final String reason;

    private ApiConstraint(Predicate<Route> excluded, String reason) {
        this.excluded = excluded;
        this.reason = reason;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String violation(PolicyTarget target) {
        return target instanceof Route route && excluded.test(route) ? reason : null;
    }

    /** {@code policy} with this constraint added. */
    public RequestPolicy addedTo(RequestPolicy policy) {
        List<Constraint> constraints = new ArrayList<>(policy.constraints());
        constraints.add(this);
        return new RequestPolicy(constraints, policy.order(), policy.allowFallbacks(), policy.sort(),
                policy.fallbackModels());
    }

    /**
     * The policy of an OpenAI request for {@code model}: unchanged unless some route of the model (or of a fallback
     * model) is an Anthropic upstream, so the common plan stays on the planner's fast path.
     */
    public static RequestPolicy forOpenAi(Model model, RequestPolicy policy, dev.veil.gateway.routing.ModelCatalog catalog) {
        boolean any = model.routes().stream().anyMatch(r -> r.upstream().anthropic())
                || policy.fallbackModels().stream().map(catalog::find).filter(java.util.Objects::nonNull)
                        .anyMatch(m -> m.routes().stream().anyMatch(r -> r.upstream().anthropic()));
        return any ? OPENAI.addedTo(policy) : policy;
    }
}
