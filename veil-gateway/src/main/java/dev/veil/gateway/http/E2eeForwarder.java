package dev.veil.gateway.http;

import dev.veil.gateway.openai.InferenceRequest;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.gateway.policy.RoutePlan;
import dev.veil.gateway.policy.RoutePlanner;
import dev.veil.gateway.relay.InferenceRelay;
import dev.veil.gateway.routing.Model;
import dev.veil.gateway.routing.ModelCatalog;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.api.Endpoint;
import dev.veil.protocol.policy.RequestPolicy;
import java.util.function.BiConsumer;

/**
 * The gateway's share of an e2ee request, on every endpoint whose description says {@code e2ee} (chat completions,
 * completions, embeddings, the Responses API, Anthropic's Messages API): only the clear headers are readable. The
 * model is looked up, the key's policy plans the node routes holding the request's key, and the ciphertext is relayed
 * untouched by {@link InferenceRelay}'s pass-through transport, which bills from the node's signed receipt. The
 * request's own policy fields, if any, are sealed and invisible here, so the node checks them (against its signed
 * declaration) after opening the request, and the client checks them before sending, with the same code.
 *
 * <p>A node serves every e2ee endpoint, natively or by translating to chat completions inside its enclave, so node
 * routes are planned the same way whichever endpoint the request is for; the endpoint's path is bound into the
 * request's encryption, so the node opens it only at the path the client sealed it for (docs/e2ee.md §4).
 */
public final class E2eeForwarder {

    private final ModelCatalog catalog;
    private final RoutePlanner planner;
    private final InferenceRelay relay;

    public E2eeForwarder(ModelCatalog catalog, RoutePlanner planner, InferenceRelay relay) {
        this.catalog = catalog;
        this.planner = planner;
        this.relay = relay;
    }

    /**
     * Plans and relays one e2ee request.
     *
     * @param refuse answers a plan without candidates in the endpoint's own error shape (the plan says why)
     * @throws InvalidRequestException a clear error about the envelope, the model or the node key, for the caller to
     *                                 answer in its endpoint's shape
     */
    public void forward(Exchange exchange, Endpoint endpoint, byte[] body, BiConsumer<Exchange, RoutePlan> refuse)
            throws InvalidRequestException {
        if (!endpoint.e2ee()) {
            throw new InvalidRequestException(OpenAiError.invalidRequest("Veil nodes do not serve " + endpoint.path()
                    + " end to end encrypted; e2ee requests go to " + Endpoint.paths(Endpoint::e2ee) + ".", null,
                    "e2ee_unsupported_endpoint"));
        }
        E2eeRequests.Envelope envelope = E2eeRequests.envelope(exchange.request(), endpoint);
        Model model = catalog.find(envelope.model());
        if (model == null) {
            throw new InvalidRequestException(new OpenAiError(404,
                    "The model you requested does not exist on this gateway; GET /v1/models lists the models you can use.",
                    OpenAiError.INVALID_REQUEST, "Veil-Model", "model_not_found"));
        }
        exchange.model(model.id());
        InferenceRequest request = new InferenceRequest(endpoint, model.id(), envelope.stream(), false, RequestPolicy.NONE);
        RoutePlan plan = planner.plan(model, exchange.key().policy(), request.policy(), envelope.nodeKeyId());
        if (plan.candidates().isEmpty()) {
            if (E2eeRequests.keyUnknown(plan)) {
                throw new InvalidRequestException(new OpenAiError(421, "No node of this model holds the key the request "
                        + "is encrypted to (it rotated, or the node left); fetch GET /v1/attestation again.",
                        "e2ee_error", "Veil-Node-Key", "e2ee_unknown_key"));
            }
            refuse.accept(exchange, plan);
            return;
        }
        relay.relay(exchange, request, plan.candidates(), body, true);
    }

    /** Whether the request is an e2ee one (its body sealed to a node), by its content type. */
    public static boolean sealed(Exchange exchange) {
        String contentType = exchange.request().getHeader(HeaderNames.CONTENT_TYPE);
        return contentType != null && contentType.startsWith(dev.veil.protocol.e2ee.E2ee.CONTENT_TYPE);
    }
}
