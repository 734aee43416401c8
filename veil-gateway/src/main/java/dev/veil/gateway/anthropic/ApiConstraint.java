package dev.veil.gateway.anthropic;

import dev.veil.gateway.config.UpstreamConfig;
import dev.veil.gateway.routing.Model;
import dev.veil.gateway.routing.ModelCatalog;
import dev.veil.gateway.routing.Route;
import dev.veil.protocol.policy.Constraint;
import dev.veil.protocol.policy.PolicyTarget;
import dev.veil.protocol.policy.RequestPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Which routes can serve an endpoint at all, by the API families their upstream speaks ({@code apis}), as a planner
 * constraint named {@value #NAME} so that a refusal names it like any other: a Messages request needs an upstream that
 * speaks {@code messages}, or one that speaks {@code chat} and is not a Veil node (Veil translates for it; nodes get
 * requests only in their own API, and the Messages API has no e2ee path); an OpenAI request needs one that speaks
 * {@code chat}.
 */
public final class ApiConstraint implements Constraint {

    /** The constraint's name in refusals. */
    public static final String NAME = "endpoint";

    /** For {@code /v1/messages}. */
    public static final ApiConstraint MESSAGES = new ApiConstraint(route -> {
        if (route.upstream().speaks(UpstreamConfig.API_MESSAGES)) {
            return null;
        }
        if (route.node()) {
            return "the route is a Veil node, which does not serve the Messages API";
        }
        return route.upstream().speaks(UpstreamConfig.API_CHAT) ? null
                : "the route's upstream speaks neither the Messages API nor chat completions (its apis)";
    });

    /** For the OpenAI endpoints. */
    public static final ApiConstraint OPENAI = new ApiConstraint(route -> route.upstream().speaks(UpstreamConfig.API_CHAT)
            ? null : "the route's upstream does not speak the chat API (its apis); send this model's requests to the "
                    + "endpoint of an API it speaks, e.g. /v1/messages");

    private final Function<Route, String> violation;

    private ApiConstraint(Function<Route, String> violation) {
        this.violation = violation;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String violation(PolicyTarget target) {
        return target instanceof Route route ? violation.apply(route) : null;
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
     * model) does not speak the chat API, so that the common plan stays on the planner's fast path.
     */
    public static RequestPolicy forOpenAi(Model model, RequestPolicy policy, ModelCatalog catalog) {
        boolean any = notChat(model) || policy.fallbackModels().stream().map(catalog::find).filter(Objects::nonNull)
                .anyMatch(ApiConstraint::notChat);
        return any ? OPENAI.addedTo(policy) : policy;
    }

    private static boolean notChat(Model model) {
        return model.routes().stream().anyMatch(r -> !r.upstream().speaks(UpstreamConfig.API_CHAT));
    }
}
