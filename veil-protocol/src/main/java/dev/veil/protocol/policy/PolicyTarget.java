package dev.veil.protocol.policy;

import dev.veil.protocol.DataPolicy;
import dev.veil.protocol.PrivacyMode;
import java.util.Set;

/**
 * What a policy is checked against: a gateway route, or (on the e2ee path, where only the node and the client read
 * the request's policy) one attested node. Anything a target cannot say counts as the worst case.
 */
public interface PolicyTarget {

    /** The name allow- and deny-lists match, e.g. a route name; {@code null} when the target has none. */
    String name();

    /** A second name lists may use (a route's upstream); {@code null} when none. */
    String upstreamName();

    /** The declared data policy; fields left out are the worst case. */
    DataPolicy policy();

    /** The privacy mode the policy gives. */
    default PrivacyMode mode() {
        return policy().mode();
    }

    /** USD per million prompt tokens, {@code null} when not known where the policy is checked. */
    Double promptPrice();

    /** USD per million completion tokens, {@code null} when not known where the policy is checked. */
    Double completionPrice();

    /** The request parameters the target declares it honours; {@code null} = not declared. */
    Set<String> supportedParameters();

    /** Whether a request asking {@code store: true} may not use this target (elsewhere store is forced false). */
    default boolean refusesStore() {
        return false;
    }
}
