package dev.veil.protocol.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.PrivacyMode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads the routing fields of a request body into a {@link RequestPolicy}, validating each and naming the field in
 * any error (never quoting its value). One reader per request; fields arrive in any order. The gateway, the node
 * (on the e2ee path) and the client's proxy all read policies with it, so a policy means the same everywhere.
 */
public final class RequestPolicyReader {

    /** The top-level body fields this reader owns; they never reach an upstream. */
    public static final Set<String> FIELDS = RequestFields.ROUTING;

    private static final Set<String> PRIVACY_FIELDS = Set.of("min_mode", "zdr", "no_training", "max_retention_days",
            "jurisdictions", "require_tee", "routes_allow", "routes_deny");
    private static final Set<String> PROVIDER_FIELDS = Set.of("zdr", "data_collection", "only", "ignore", "order",
            "allow_fallbacks", "sort", "max_price", "require_parameters", "quantizations", "enforce_distillable_text",
            "preferred_min_throughput", "preferred_max_latency");
    private static final Set<String> DATA_POLICY_FIELDS = Set.of("training_allowed", "retention_days");
    private static final Set<String> PROVIDERS_FIELDS = Set.of("require", "exclude");
    private static final int MAX_LIST = 64;

    private final List<Constraint> constraints = new ArrayList<>();
    private List<String> order = List.of();
    private boolean allowFallbacks = true;
    private RequestPolicy.Sort sort;
    private List<String> fallbackModels = List.of();
    private boolean requireParameters;

    /** Reads one of {@link #FIELDS}. */
    public void read(String field, JsonNode value) throws PolicyFieldException {
        if (value == null || value.isNull()) {
            return;
        }
        switch (field) {
            case "privacy" -> privacy(object(value, "privacy", PRIVACY_FIELDS));
            case "provider" -> provider(object(value, "provider", PROVIDER_FIELDS));
            case "models" -> fallbackModels = strings(value, "models");
            case "data_policy" -> dataPolicy(object(value, "data_policy", DATA_POLICY_FIELDS));
            case "providers" -> providers(object(value, "providers", PROVIDERS_FIELDS));
            default -> throw new IllegalArgumentException("not a routing field");
        }
    }

    /**
     * The policy read so far.
     *
     * @param parameters     the request's other top-level field names, for {@code provider.require_parameters}
     * @param storeRequested whether the request asks {@code store: true}: routes configured to refuse that are excluded
     */
    public RequestPolicy build(List<String> parameters, boolean storeRequested) {
        List<Constraint> all = new ArrayList<>(constraints);
        if (requireParameters) {
            all.add(Constraints.requireParameters("provider.require_parameters", parameters));
        }
        if (storeRequested) {
            all.add(Constraints.acceptsStore("store"));
        }
        return new RequestPolicy(all, order, allowFallbacks, sort, fallbackModels);
    }

    private void privacy(JsonNode p) throws PolicyFieldException {
        if (p.has("min_mode") && !p.get("min_mode").isNull()) {
            String text = text(p.get("min_mode"), "privacy.min_mode");
            try {
                constraints.add(Constraints.minMode("privacy.min_mode", PrivacyMode.fromWireName(text)));
            } catch (IllegalArgumentException e) {
                throw invalid("privacy.min_mode must be one of anonymized, private, tee, e2ee.", "privacy.min_mode");
            }
        }
        if (bool(p, "zdr", "privacy.zdr")) {
            constraints.add(Constraints.zeroRetention("privacy.zdr"));
        }
        if (bool(p, "no_training", "privacy.no_training")) {
            constraints.add(Constraints.noTraining("privacy.no_training"));
        }
        if (p.has("max_retention_days") && !p.get("max_retention_days").isNull()) {
            constraints.add(Constraints.maxRetentionDays("privacy.max_retention_days",
                    nonNegativeInt(p.get("max_retention_days"), "privacy.max_retention_days")));
        }
        if (p.has("jurisdictions") && !p.get("jurisdictions").isNull()) {
            constraints.add(Constraints.jurisdictions("privacy.jurisdictions", strings(p.get("jurisdictions"), "privacy.jurisdictions")));
        }
        if (bool(p, "require_tee", "privacy.require_tee")) {
            constraints.add(Constraints.requireTee("privacy.require_tee"));
        }
        if (p.has("routes_allow") && !p.get("routes_allow").isNull()) {
            constraints.add(Constraints.allowOnly("privacy.routes_allow", strings(p.get("routes_allow"), "privacy.routes_allow")));
        }
        if (p.has("routes_deny") && !p.get("routes_deny").isNull()) {
            constraints.add(Constraints.deny("privacy.routes_deny", strings(p.get("routes_deny"), "privacy.routes_deny")));
        }
    }

    private void provider(JsonNode p) throws PolicyFieldException {
        if (bool(p, "zdr", "provider.zdr")) {
            constraints.add(Constraints.zeroRetention("provider.zdr"));
        }
        if (p.has("data_collection") && !p.get("data_collection").isNull()) {
            String v = text(p.get("data_collection"), "provider.data_collection");
            if (v.equals("deny")) {
                // OpenRouter: "deny" = only providers that neither store (beyond transient) nor train on data.
                constraints.add(Constraints.noTraining("provider.data_collection"));
                constraints.add(Constraints.zeroRetention("provider.data_collection"));
            } else if (!v.equals("allow")) {
                throw invalid("provider.data_collection must be \"allow\" or \"deny\".", "provider.data_collection");
            }
        }
        if (p.has("only") && !p.get("only").isNull()) {
            constraints.add(Constraints.allowOnly("provider.only", strings(p.get("only"), "provider.only")));
        }
        if (p.has("ignore") && !p.get("ignore").isNull()) {
            constraints.add(Constraints.deny("provider.ignore", strings(p.get("ignore"), "provider.ignore")));
        }
        if (p.has("order") && !p.get("order").isNull()) {
            order = strings(p.get("order"), "provider.order");
        }
        if (p.has("allow_fallbacks") && !p.get("allow_fallbacks").isNull()) {
            allowFallbacks = bool(p, "allow_fallbacks", "provider.allow_fallbacks");
        }
        if (p.has("sort") && !p.get("sort").isNull()) {
            JsonNode s = p.get("sort");
            String by = s.isObject() ? text(s.path("by"), "provider.sort.by") : text(s, "provider.sort");
            sort = switch (by) {
                case "price" -> RequestPolicy.Sort.PRICE;
                case "latency" -> RequestPolicy.Sort.LATENCY;
                case "throughput" -> RequestPolicy.Sort.THROUGHPUT;
                default -> throw invalid("provider.sort must be \"price\", \"latency\" or \"throughput\".", "provider.sort");
            };
        }
        if (p.has("max_price") && !p.get("max_price").isNull()) {
            JsonNode m = p.get("max_price");
            if (!m.isObject()) {
                throw wrongType("provider.max_price", "an object");
            }
            Double prompt = optionalPrice(m, "prompt");
            Double completion = optionalPrice(m, "completion");
            constraints.add(Constraints.maxPrice("provider.max_price", prompt, completion));
        }
        requireParameters = bool(p, "require_parameters", "provider.require_parameters");
    }

    private void dataPolicy(JsonNode p) throws PolicyFieldException {
        if (p.has("training_allowed") && !p.get("training_allowed").isNull()
                && !bool(p, "training_allowed", "data_policy.training_allowed")) {
            constraints.add(Constraints.noTraining("data_policy.training_allowed"));
        }
        if (p.has("retention_days") && !p.get("retention_days").isNull()) {
            constraints.add(Constraints.maxRetentionDays("data_policy.retention_days",
                    nonNegativeInt(p.get("retention_days"), "data_policy.retention_days")));
        }
    }

    private void providers(JsonNode p) throws PolicyFieldException {
        if (p.has("require") && !p.get("require").isNull()) {
            for (String requirement : strings(p.get("require"), "providers.require")) {
                switch (requirement) {
                    case "zero-retention" -> constraints.add(Constraints.zeroRetention("providers.require"));
                    case "no-training" -> constraints.add(Constraints.noTraining("providers.require"));
                    default -> throw invalid("providers.require accepts \"zero-retention\" and \"no-training\".",
                            "providers.require");
                }
            }
        }
        if (p.has("exclude") && !p.get("exclude").isNull()) {
            constraints.add(Constraints.deny("providers.exclude", strings(p.get("exclude"), "providers.exclude")));
        }
    }

    private Double optionalPrice(JsonNode m, String field) throws PolicyFieldException {
        JsonNode v = m.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber() || v.asDouble() < 0) {
            throw invalid("provider.max_price." + field + " must be a non-negative number (USD per million tokens).",
                    "provider.max_price." + field);
        }
        return v.asDouble();
    }

    private static JsonNode object(JsonNode value, String param, Set<String> known) throws PolicyFieldException {
        if (!value.isObject()) {
            throw wrongType(param, "an object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            String name = it.next().getKey();
            if (!known.contains(name)) {
                throw invalid("Unknown field in " + param + "; known fields are "
                        + String.join(", ", new java.util.TreeSet<>(known)) + ".", param, "unknown_parameter");
            }
        }
        return value;
    }

    private static boolean bool(JsonNode object, String field, String param) throws PolicyFieldException {
        JsonNode v = object.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw wrongType(param, "a boolean");
        }
        return v.booleanValue();
    }

    private static String text(JsonNode v, String param) throws PolicyFieldException {
        if (!v.isTextual()) {
            throw wrongType(param, "a string");
        }
        return v.textValue().toLowerCase(Locale.ROOT);
    }

    private static int nonNegativeInt(JsonNode v, String param) throws PolicyFieldException {
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() < 0) {
            throw invalid(param + " must be a whole number of days, 0 or more.", param);
        }
        return v.intValue();
    }

    private static List<String> strings(JsonNode v, String param) throws PolicyFieldException {
        if (!v.isArray()) {
            throw wrongType(param, "an array of strings");
        }
        if (v.size() > MAX_LIST) {
            throw invalid(param + " may list at most " + MAX_LIST + " entries.", param);
        }
        List<String> out = new ArrayList<>(v.size());
        for (JsonNode item : v) {
            if (!item.isTextual() || item.textValue().isEmpty()) {
                throw wrongType(param, "an array of non-empty strings");
            }
            out.add(item.textValue());
        }
        return List.copyOf(out);
    }

    private static PolicyFieldException wrongType(String param, String expected) {
        return invalid("Invalid type for \"" + param + "\": expected " + expected + ".", param, "invalid_type");
    }

    private static PolicyFieldException invalid(String message, String param) {
        return invalid(message, param, "invalid_value");
    }

    private static PolicyFieldException invalid(String message, String param, String code) {
        return new PolicyFieldException(OpenAiError.invalidRequest(message, param, code));
    }
}
