package dev.veil.protocol.policy;

import java.util.Set;
import java.util.TreeSet;

/**
 * What the operator allows one route to receive beyond {@link RequestFields}' defaults.
 *
 * @param allowedFields fields forwarded although they are removed by default ({@code user}, {@code metadata} ...) or
 *                      not documented by OpenAI (an engine's own parameter such as {@code top_k}); sorted
 * @param refuseStore   whether a request asking {@code store: true} is refused on this route instead of having
 *                      {@code store} forced to {@code false} (never set on a zero-retention route)
 */
public record ForwardRules(Set<String> allowedFields, boolean refuseStore) {

    /** The defaults: nothing beyond the documented fields, {@code store} forced to false. */
    public static final ForwardRules DEFAULT = new ForwardRules(Set.of(), false);

    public ForwardRules {
        allowedFields = java.util.Collections.unmodifiableSet(new TreeSet<>(allowedFields));
    }

    /** Whether the operator allows {@code field} on this route. */
    public boolean allows(String field) {
        return allowedFields.contains(field);
    }

    /** The fields removed by default that this route forwards, sorted; what a privacy receipt names. */
    public Set<String> forwardedIdentityFields() {
        Set<String> out = new TreeSet<>(allowedFields);
        out.retainAll(RequestFields.REMOVED_BY_DEFAULT);
        return java.util.Collections.unmodifiableSet(out);
    }
}
