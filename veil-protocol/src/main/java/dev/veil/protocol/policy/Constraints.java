package dev.veil.protocol.policy;

import dev.veil.protocol.DataPolicy;
import dev.veil.protocol.PrivacyMode;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The kinds of constraint a key or a request can put on routes. Each fails closed on undeclared policy fields. */
public final class Constraints {

    private Constraints() {
    }

    record Simple(String name, java.util.function.Function<PolicyTarget, String> check) implements Constraint {
        @Override
        public String violation(PolicyTarget target) {
            return check.apply(target);
        }
    }

    /** The route's mode must be at least {@code min}. */
    public static Constraint minMode(String name, PrivacyMode min) {
        return new Simple(name, r -> r.mode().atLeast(min) ? null
                : "route mode " + r.mode().wireName() + " is weaker than the required " + min.wireName());
    }

    /** The provider must keep nothing (zdr or a declared retention of 0 days). */
    public static Constraint zeroRetention(String name) {
        return new Simple(name, r -> r.policy().zeroRetention() ? null : "route does not declare zero data retention");
    }

    /** The provider must be declared not to train on requests. */
    public static Constraint noTraining(String name) {
        return new Simple(name, r -> r.policy().neverTrains() ? null : "route does not declare that it never trains on requests");
    }

    /** The provider must keep requests at most {@code days} days. */
    public static Constraint maxRetentionDays(String name, int days) {
        return new Simple(name, r -> {
            DataPolicy p = r.policy();
            if (p.zeroRetention()) {
                return null;
            }
            if (p.retentionDays() == null) {
                return "route declares no retention period (counted as unlimited), more than the allowed " + days + " days";
            }
            return p.retentionDays() <= days ? null
                    : "route retains data " + p.retentionDays() + " days, more than the allowed " + days;
        });
    }

    /** The route must declare one of these jurisdictions (compared case-insensitively). */
    public static Constraint jurisdictions(String name, Collection<String> allowed) {
        Set<String> upper = upper(allowed);
        return new Simple(name, r -> {
            String j = r.policy().jurisdiction();
            if (j == null) {
                return "route declares no jurisdiction; allowed: " + String.join(", ", new java.util.TreeSet<>(upper));
            }
            return upper.contains(j.toUpperCase(Locale.ROOT)) ? null
                    : "route jurisdiction " + j + " is not among the allowed: " + String.join(", ", new java.util.TreeSet<>(upper));
        });
    }

    /** The model must run in a TEE. */
    public static Constraint requireTee(String name) {
        return new Simple(name, r -> r.policy().teeKind() != dev.veil.protocol.TeeKind.NONE ? null : "route does not run in a TEE");
    }

    /** The route (by route name or upstream name) must be on the list. */
    public static Constraint allowOnly(String name, Collection<String> names) {
        Set<String> set = Set.copyOf(names);
        return new Simple(name, r -> matches(r, set) ? null : r.name() == null
                ? "the node declares no name, so it cannot be shown to be on the allow-list" : "route is not on the allow-list");
    }

    /** The route (by route name or upstream name) must not be on the list. */
    public static Constraint deny(String name, Collection<String> names) {
        Set<String> set = Set.copyOf(names);
        return new Simple(name, r -> matches(r, set) ? "route is on the deny-list" : null);
    }

    /**
     * Prices per million tokens must not exceed the caps (a null cap is no cap). A target whose price is not known
     * where the policy is checked (a node: prices are the gateway's) fails a cap, since it cannot be shown to meet it.
     */
    public static Constraint maxPrice(String name, Double promptPerMillion, Double completionPerMillion) {
        return new Simple(name, r -> {
            if (promptPerMillion != null) {
                if (r.promptPrice() == null) {
                    return "the price is not known where this policy is checked, so it cannot be shown to meet the cap";
                }
                if (r.promptPrice() > promptPerMillion) {
                    return "route prompt price " + r.promptPrice() + " is above the cap " + promptPerMillion;
                }
            }
            if (completionPerMillion != null) {
                if (r.completionPrice() == null) {
                    return "the price is not known where this policy is checked, so it cannot be shown to meet the cap";
                }
                if (r.completionPrice() > completionPerMillion) {
                    return "route completion price " + r.completionPrice() + " is above the cap " + completionPerMillion;
                }
            }
            return null;
        });
    }

    /** The route must declare support for every parameter sent; a route that declares nothing supports nothing. */
    public static Constraint requireParameters(String name, List<String> parameters) {
        return new Simple(name, r -> {
            Set<String> supported = r.supportedParameters();
            if (supported == null) {
                return "route declares no supported_parameters";
            }
            for (String p : parameters) {
                if (!supported.contains(p)) {
                    return "route does not declare support for a parameter of this request";
                }
            }
            return null;
        });
    }

    /**
     * The request asks {@code store: true}: the route must not be configured to refuse that (elsewhere {@code store}
     * is sent as {@code false}).
     */
    public static Constraint acceptsStore(String name) {
        return new Simple(name, r -> r.refusesStore()
                ? "route refuses requests that ask the provider to store them; leave store out or set it to false" : null);
    }

    /**
     * The first of {@code constraints} that {@code target} fails, as an exclusion of {@code target} for {@code model};
     * {@code null} when it meets them all. The route planner and the node both decide with this.
     */
    public static Exclusion firstViolation(String model, PolicyTarget target, List<Constraint> constraints) {
        for (Constraint constraint : constraints) {
            String violation = constraint.violation(target);
            if (violation != null) {
                return new Exclusion(model, target.name(), constraint.name(), violation);
            }
        }
        return null;
    }

    /** Whether a target is named by its name or its upstream's name. */
    public static boolean matches(PolicyTarget target, Set<String> names) {
        return (target.name() != null && names.contains(target.name()))
                || (target.upstreamName() != null && names.contains(target.upstreamName()));
    }

    private static Set<String> upper(Collection<String> values) {
        java.util.Set<String> out = new java.util.HashSet<>();
        for (String v : values) {
            out.add(v.toUpperCase(Locale.ROOT));
        }
        return Set.copyOf(out);
    }
}
