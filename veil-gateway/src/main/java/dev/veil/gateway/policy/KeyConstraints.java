package dev.veil.gateway.policy;

import dev.veil.protocol.policy.Constraint;
import dev.veil.protocol.policy.Constraints;
import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.PrivacyMode;
import java.util.ArrayList;
import java.util.List;

/** The route constraints an API key's policy imposes on every request it makes. */
public final class KeyConstraints {

    private KeyConstraints() {
    }

    public static List<Constraint> of(KeyPolicy policy) {
        List<Constraint> out = new ArrayList<>(3);
        if (policy.minMode() != PrivacyMode.ANONYMIZED) {
            out.add(Constraints.minMode("key.min_mode", policy.minMode()));
        }
        if (!policy.allowedRoutes().isEmpty()) {
            out.add(Constraints.allowOnly("key.allowed_routes", policy.allowedRoutes()));
        }
        if (!policy.jurisdictions().isEmpty()) {
            out.add(Constraints.jurisdictions("key.jurisdictions", policy.jurisdictions()));
        }
        return List.copyOf(out);
    }
}
