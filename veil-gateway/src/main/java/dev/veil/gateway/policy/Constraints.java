package dev.veil.gateway.policy;

import dev.veil.gateway.routing.Route;
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

    record Simple(String name, java.util.function.Function<Route, String> check) implements Constraint {
        @Override
        public String violation(Route route) {
            return check.apply(route);
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
        return new Simple(name, r -> matches(r, set) ? null : "route is not on the allow-list");
    }

    /** The route (by route name or upstream name) must not be on the list. */
    public static Constraint deny(String name, Collection<String> names) {
        Set<String> set = Set.copyOf(names);
        return new Simple(name, r -> matches(r, set) ? "route is on the deny-list" : null);
    }

    /** Prices per million tokens must not exceed the caps (a null cap is no cap). */
    public static Constraint maxPrice(String name, Double promptPerMillion, Double completionPerMillion) {
        return new Simple(name, r -> {
            if (promptPerMillion != null && r.price().inputPerMillion() > promptPerMillion) {
                return "route prompt price " + r.price().inputPerMillion() + " is above the cap " + promptPerMillion;
            }
            if (completionPerMillion != null && r.price().outputPerMillion() > completionPerMillion) {
                return "route completion price " + r.price().outputPerMillion() + " is above the cap " + completionPerMillion;
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

    /** Whether a route is named by its route name or its upstream's name. */
    public static boolean matches(Route route, Set<String> names) {
        return names.contains(route.name()) || names.contains(route.upstream().name());
    }

    private static Set<String> upper(Collection<String> values) {
        java.util.Set<String> out = new java.util.HashSet<>();
        for (String v : values) {
            out.add(v.toUpperCase(Locale.ROOT));
        }
        return Set.copyOf(out);
    }
}
