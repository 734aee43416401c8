package dev.veil.gateway.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.config.ModelConfig;
import dev.veil.gateway.config.PolicyConfig;
import dev.veil.gateway.config.PriceConfig;
import dev.veil.gateway.config.RouteConfig;
import dev.veil.gateway.config.UpstreamConfig;
import dev.veil.gateway.config.VeilConfig;
import dev.veil.protocol.api.Endpoint;
import dev.veil.gateway.openai.InferenceRequest;
import dev.veil.gateway.openai.RequestInspector;
import dev.veil.gateway.routing.Model;
import dev.veil.gateway.routing.ModelCatalog;
import dev.veil.gateway.routing.Route;
import dev.veil.gateway.routing.RouteHealth;
import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.PrivacyMode;
import dev.veil.protocol.policy.Constraints;
import dev.veil.protocol.policy.Exclusion;
import dev.veil.protocol.policy.RequestPolicy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded, generated combinations of route policies, key policies and request policies, checked against an
 * independent oracle of compliance: every candidate complies, every compliant route is a candidate, every other
 * route is excluded with a named constraint.
 */
class RoutePlannerTest {

    private static final String[] JURISDICTIONS = {"EU", "US", "CH"};
    private static final String[] TEE = {null, "none", "tdx", "sev-snp", "simulated"};
    private static final Integer[] RETENTION = {null, 0, 7, 30};
    private static final Boolean[] TRI = {null, true, false};

    static LongStream seeds() {
        return LongStream.range(1, 301);
    }

    /** One generated route's declared policy, kept raw for the oracle. */
    record Spec(String name, String upstream, Boolean trains, Integer retention, Boolean zdr, String tee, Boolean e2ee,
                String jurisdiction) {
    }

    /** The request policy, kept raw for the oracle. */
    record Ask(PrivacyMode minMode, boolean zdr, boolean noTraining, Integer maxRetention, Set<String> jurisdictions,
               boolean requireTee, Set<String> allow, Set<String> deny) {
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void candidatesAreExactlyTheCompliantRoutes(long seed) throws Exception {
        Random random = new Random(seed);
        List<Spec> specs = new ArrayList<>();
        int routes = 1 + random.nextInt(5);
        for (int i = 0; i < routes; i++) {
            specs.add(new Spec("r" + i, "u" + random.nextInt(3), pick(random, TRI), pick(random, RETENTION),
                    pick(random, TRI), pick(random, TEE), pick(random, TRI),
                    random.nextInt(4) == 0 ? null : pick(random, JURISDICTIONS)));
        }
        ModelCatalog catalog = catalog(specs);
        Model model = catalog.find("m");
        KeyPolicy key = randomKey(random);
        Ask ask = randomAsk(random);
        InferenceRequest request = new RequestInspector(RequestInspector.strictFactory())
                .inspect(Endpoint.CHAT_COMPLETIONS, body(ask).getBytes(StandardCharsets.UTF_8));

        RoutePlan plan = new RoutePlanner(catalog, new RouteHealth(5, 30_000, System::currentTimeMillis))
                .plan(model, key, request.policy());

        Set<String> expected = new HashSet<>();
        for (Spec spec : specs) {
            if (complies(spec, key, ask)) {
                expected.add(spec.name());
            }
        }
        assertThat(plan.candidates()).extracting(Route::name).as("seed %d: %s / %s / %s", seed, specs, key, ask)
                .containsExactlyInAnyOrderElementsOf(expected);
        assertThat(plan.excluded()).extracting(Exclusion::route).as("seed %d", seed)
                .containsExactlyInAnyOrderElementsOf(specs.stream().map(Spec::name).filter(n -> !expected.contains(n)).toList());
        for (Exclusion e : plan.excluded()) {
            assertThat(e.constraint()).matches("key\\.(min_mode|allowed_routes|jurisdictions)|privacy\\..+");
            assertThat(e.reason()).isNotBlank();
        }
    }

    @Test
    void openCircuitTakesARouteOutAndTheRefusalSaysItIsHealth() {
        ModelCatalog catalog = catalog(List.of(new Spec("only", "u0", false, 0, true, null, null, "EU")));
        RouteHealth health = new RouteHealth(1, 60_000, System::currentTimeMillis);
        Route route = catalog.find("m").routes().get(0);
        health.breaker(route).tryAcquire();
        health.breaker(route).failure();
        RoutePlan plan = new RoutePlanner(catalog, health).plan(catalog.find("m"), KeyPolicy.UNRESTRICTED, RequestPolicy.NONE);
        assertThat(plan.candidates()).isEmpty();
        assertThat(plan.onlyHealthExcludedCompliantRoutes()).isTrue();
        assertThat(plan.excluded()).extracting(Exclusion::constraint).containsExactly(Exclusion.CIRCUIT_OPEN);
    }

    @Test
    void sortByPriceAndOrderAreHonoured() throws Exception {
        ModelCatalog catalog = ModelCatalog.from(new VeilConfig(null, null, List.of(UpstreamConfig.of("u", "http://127.0.0.1:1/v1")),
                List.of(new ModelConfig("m", null, null, List.of(
                        new RouteConfig("dear", "u", "x", 1, new PriceConfig(5, 5), null),
                        new RouteConfig("cheap", "u", "x", 1, new PriceConfig(1, 1), null),
                        new RouteConfig("mid", "u", "x", 1, new PriceConfig(2, 2), null))))), Map.of());
        RoutePlanner planner = new RoutePlanner(catalog, new RouteHealth(5, 1000, System::currentTimeMillis));
        RequestInspector inspector = new RequestInspector(RequestInspector.strictFactory());
        InferenceRequest byPrice = inspector.inspect(Endpoint.CHAT_COMPLETIONS,
                "{\"model\":\"m\",\"messages\":[],\"provider\":{\"sort\":\"price\"}}".getBytes(StandardCharsets.UTF_8));
        assertThat(planner.plan(catalog.find("m"), KeyPolicy.UNRESTRICTED, byPrice.policy()).candidates())
                .extracting(Route::name).containsExactly("cheap", "mid", "dear");
        InferenceRequest ordered = inspector.inspect(Endpoint.CHAT_COMPLETIONS,
                "{\"model\":\"m\",\"messages\":[],\"provider\":{\"order\":[\"dear\"],\"sort\":\"price\"}}".getBytes(StandardCharsets.UTF_8));
        assertThat(planner.plan(catalog.find("m"), KeyPolicy.UNRESTRICTED, ordered.policy()).candidates())
                .extracting(Route::name).containsExactly("dear", "cheap", "mid");
        InferenceRequest noFallbacks = inspector.inspect(Endpoint.CHAT_COMPLETIONS,
                "{\"model\":\"m\",\"messages\":[],\"provider\":{\"order\":[\"mid\"],\"allow_fallbacks\":false}}".getBytes(StandardCharsets.UTF_8));
        assertThat(planner.plan(catalog.find("m"), KeyPolicy.UNRESTRICTED, noFallbacks.policy()).candidates())
                .extracting(Route::name).containsExactly("mid");
        InferenceRequest capped = inspector.inspect(Endpoint.CHAT_COMPLETIONS,
                "{\"model\":\"m\",\"messages\":[],\"provider\":{\"max_price\":{\"prompt\":2}}}".getBytes(StandardCharsets.UTF_8));
        assertThat(planner.plan(catalog.find("m"), KeyPolicy.UNRESTRICTED, capped.policy()).candidates())
                .extracting(Route::name).containsExactlyInAnyOrder("cheap", "mid");
    }

    @Test
    void weightedLoadBalancingFollowsTheWeights() {
        ModelCatalog catalog = ModelCatalog.from(new VeilConfig(null, null, List.of(UpstreamConfig.of("u", "http://127.0.0.1:1/v1")),
                List.of(new ModelConfig("m", null, null, List.of(
                        new RouteConfig("heavy", "u", "x", 9, null, null),
                        new RouteConfig("light", "u", "x", 1, null, null))))), Map.of());
        RoutePlanner planner = new RoutePlanner(catalog, new RouteHealth(5, 1000, System::currentTimeMillis));
        int heavyFirst = 0;
        for (int i = 0; i < 2000; i++) {
            if (planner.plan(catalog.find("m"), KeyPolicy.UNRESTRICTED, RequestPolicy.NONE).candidates().get(0).name().equals("heavy")) {
                heavyFirst++;
            }
        }
        assertThat(heavyFirst).isBetween(1650, 1950);
    }

    private static boolean complies(Spec s, KeyPolicy key, Ask ask) {
        boolean zeroRetention = Boolean.TRUE.equals(s.zdr()) || Integer.valueOf(0).equals(s.retention());
        boolean noTraining = Boolean.FALSE.equals(s.trains());
        boolean tee = s.tee() != null && !s.tee().equals("none");
        PrivacyMode mode = !(zeroRetention && noTraining) ? PrivacyMode.ANONYMIZED
                : !tee ? PrivacyMode.PRIVATE : Boolean.TRUE.equals(s.e2ee()) ? PrivacyMode.E2EE : PrivacyMode.TEE;
        if (mode.compareTo(key.minMode()) < 0 || (ask.minMode() != null && mode.compareTo(ask.minMode()) < 0)) {
            return false;
        }
        if (!key.allowedRoutes().isEmpty() && !key.allowedRoutes().contains(s.name()) && !key.allowedRoutes().contains(s.upstream())) {
            return false;
        }
        if (!key.jurisdictions().isEmpty() && (s.jurisdiction() == null || !key.jurisdictions().contains(s.jurisdiction()))) {
            return false;
        }
        if (ask.zdr() && !zeroRetention || ask.noTraining() && !noTraining || ask.requireTee() && !tee) {
            return false;
        }
        if (ask.maxRetention() != null && !zeroRetention && (s.retention() == null || s.retention() > ask.maxRetention())) {
            return false;
        }
        if (ask.jurisdictions() != null && (s.jurisdiction() == null || !ask.jurisdictions().contains(s.jurisdiction()))) {
            return false;
        }
        if (ask.allow() != null && !ask.allow().contains(s.name()) && !ask.allow().contains(s.upstream())) {
            return false;
        }
        return ask.deny() == null || !(ask.deny().contains(s.name()) || ask.deny().contains(s.upstream()));
    }

    private static KeyPolicy randomKey(Random random) {
        PrivacyMode min = random.nextInt(3) == 0 ? pick(random, PrivacyMode.values()) : PrivacyMode.ANONYMIZED;
        Set<String> routes = random.nextInt(4) == 0 ? Set.of("r0", "u1") : Set.of();
        Set<String> jurisdictions = random.nextInt(4) == 0 ? Set.of(pick(random, JURISDICTIONS)) : Set.of();
        return new KeyPolicy(null, min, Set.of(), routes, jurisdictions, null, null, null, null);
    }

    private static Ask randomAsk(Random random) {
        return new Ask(random.nextInt(3) == 0 ? pick(random, PrivacyMode.values()) : null,
                random.nextInt(4) == 0, random.nextInt(4) == 0,
                random.nextInt(4) == 0 ? pick(random, new Integer[] {0, 7, 30}) : null,
                random.nextInt(4) == 0 ? new HashSet<>(List.of(pick(random, JURISDICTIONS), pick(random, JURISDICTIONS))) : null,
                random.nextInt(6) == 0,
                random.nextInt(5) == 0 ? Set.of("r1", "u0") : null,
                random.nextInt(5) == 0 ? Set.of("r2") : null);
    }

    private static String body(Ask ask) {
        StringBuilder privacy = new StringBuilder();
        if (ask.minMode() != null) {
            privacy.append(",\"min_mode\":\"").append(ask.minMode().wireName()).append('"');
        }
        if (ask.zdr()) {
            privacy.append(",\"zdr\":true");
        }
        if (ask.noTraining()) {
            privacy.append(",\"no_training\":true");
        }
        if (ask.maxRetention() != null) {
            privacy.append(",\"max_retention_days\":").append(ask.maxRetention());
        }
        if (ask.jurisdictions() != null) {
            privacy.append(",\"jurisdictions\":").append(array(ask.jurisdictions()));
        }
        if (ask.requireTee()) {
            privacy.append(",\"require_tee\":true");
        }
        if (ask.allow() != null) {
            privacy.append(",\"routes_allow\":").append(array(ask.allow()));
        }
        if (ask.deny() != null) {
            privacy.append(",\"routes_deny\":").append(array(ask.deny()));
        }
        String p = privacy.isEmpty() ? "" : ",\"privacy\":{" + privacy.substring(1) + "}";
        return "{\"model\":\"m\",\"messages\":[]" + p + "}";
    }

    private static String array(Set<String> values) {
        return "[" + String.join(",", values.stream().sorted().map(v -> "\"" + v + "\"").toList()) + "]";
    }

    static ModelCatalog catalog(List<Spec> specs) {
        List<UpstreamConfig> upstreams = List.of(UpstreamConfig.of("u0", "http://127.0.0.1:1/v1"),
                UpstreamConfig.of("u1", "http://127.0.0.1:2/v1"), UpstreamConfig.of("u2", "http://127.0.0.1:3/v1"));
        List<RouteConfig> routes = new ArrayList<>();
        for (Spec s : specs) {
            routes.add(new RouteConfig(s.name(), s.upstream(), "x", 1, null,
                    new PolicyConfig(s.trains(), s.retention(), s.zdr(), s.tee(), s.e2ee(), s.jurisdiction(), null)));
        }
        return ModelCatalog.from(new VeilConfig(null, null, upstreams, List.of(new ModelConfig("m", null, null, routes))), Map.of());
    }

    @SafeVarargs
    private static <T> T pick(Random random, T... values) {
        return values[random.nextInt(values.length)];
    }
}
