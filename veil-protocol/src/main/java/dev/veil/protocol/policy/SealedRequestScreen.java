package dev.veil.protocol.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.protocol.OpenAiError;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The plain path's rules for a request the gateway cannot read (e2ee): {@link RequestFields} decides what may reach
 * the engine, and the request's own policy (all three dialects, read by {@link RequestPolicyReader}) is checked
 * against the one node it is sealed to. The node screens every opened request before its engine; the client (SDK and
 * proxy) screens before it sends, against the node it verified, so a refusal costs no round trip. Both answer with
 * the gateway's errors: 400 naming a bad or unknown field, the typed 403 {@link RefusalBody} naming the constraint.
 */
public final class SealedRequestScreen {

    /** A refusal: the HTTP status and the OpenAI-shaped body. */
    public record Refusal(int status, byte[] body) {
    }

    private SealedRequestScreen() {
    }

    /**
     * Screens {@code request} in place: routing fields, identity and storage fields are removed, {@code store} is set
     * to {@code false}.
     *
     * @param request the decrypted (or about to be encrypted) request
     * @param path    its endpoint path, e.g. {@code /v1/chat/completions}
     * @param model   the public model id, for the refusal's {@code excluded} entry
     * @param node    the node the request is sealed to, as its declaration and evidence describe it
     * @return {@code null} when the request may go on, else the refusal
     */
    public static Refusal screen(ObjectNode request, String path, String model, PolicyTarget node) {
        Set<String> documented = RequestFields.documented(path);
        RequestPolicyReader reader = new RequestPolicyReader();
        List<String> parameters = new ArrayList<>();
        boolean storeRequested = false;
        for (String field : fieldNames(request)) {
            JsonNode value = request.get(field);
            switch (RequestFields.disposition(documented, field, ForwardRules.DEFAULT)) {
                case ROUTING -> {
                    try {
                        reader.read(field, value);
                    } catch (PolicyFieldException e) {
                        return refusal(e.error());
                    }
                    request.remove(field);
                }
                case REMOVE -> request.remove(field);
                case FORCE_FALSE -> {
                    if (!value.isBoolean() && !value.isNull()) {
                        return refusal(OpenAiError.invalidRequest("Invalid type for \"store\": expected a boolean.",
                                "store", "invalid_type"));
                    }
                    storeRequested |= value.booleanValue();
                    request.put(field, false);
                }
                case UNKNOWN -> {
                    return refusal(OpenAiError.invalidRequest(RequestFields.unknownFieldMessage(field, path),
                            RequestFields.shown(field), "unknown_parameter"));
                }
                case FORWARD -> {
                    if (!RequestFields.NOT_PARAMETERS.contains(field)) {
                        parameters.add(field);
                    }
                }
            }
        }
        RequestPolicy policy = reader.build(parameters, storeRequested);
        Exclusion excluded = Constraints.firstViolation(model, node, policy.constraints());
        return excluded == null ? null
                : new Refusal(RefusalBody.STATUS, RefusalBody.write(List.of(excluded), false));
    }

    private static List<String> fieldNames(ObjectNode request) {
        List<String> names = new ArrayList<>(request.size());
        request.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static Refusal refusal(OpenAiError error) {
        return new Refusal(error.httpStatus(), error.toJson());
    }
}
