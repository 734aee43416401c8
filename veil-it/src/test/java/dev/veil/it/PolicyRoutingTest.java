package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.veil.gateway.Gateway;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.PrivacyMode;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.IssuedKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Policy routing against real fake providers, one per route, judged on the fakes' own records: seeded generated
 * combinations of key policies, request policies (in all three dialects) and injected upstream failures never reach a
 * non-compliant route, use a compliant healthy route whenever one exists, and refuse with a typed error otherwise.
 */
@Timeout(180)
class PolicyRoutingTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The routes of model {@code pm}: name → declared policy (YAML flow map) and jurisdiction. */
    private static final Map<String, String> ROUTES = new LinkedHashMap<>();

    static {
        ROUTES.put("anon-us", "{trains: true, retention_days: 30, jurisdiction: US}");
        ROUTES.put("private-eu", "{trains: false, zdr: true, jurisdiction: EU}");
        ROUTES.put("private-us", "{trains: false, retention_days: 0, jurisdiction: US}");
        ROUTES.put("tee-eu", "{trains: false, zdr: true, tee: tdx, jurisdiction: EU}");
    }

    @TempDir
    static Path dataDir;
    static Map<String, FakeUpstream> fakes = new LinkedHashMap<>();
    static FakeUpstream fallbackFake;
    static Gateway gateway;
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() {
        StringBuilder upstreams = new StringBuilder();
        StringBuilder routes = new StringBuilder();
        int price = 1;
        for (Map.Entry<String, String> route : ROUTES.entrySet()) {
            FakeUpstream fake = FakeUpstream.start();
            fakes.put(route.getKey(), fake);
            upstreams.append("  - {name: ").append(route.getKey()).append(", base_url: ").append(fake.baseUrl())
                    .append(", idle_timeout_ms: 2000}\n");
            routes.append("      - {name: ").append(route.getKey()).append(", upstream: ").append(route.getKey())
                    .append(", model: up-").append(route.getKey()).append(", price: {input_per_million: ").append(price++)
                    .append(", output_per_million: 1}, policy: ").append(route.getValue()).append("}\n");
        }
        fallbackFake = FakeUpstream.start();
        String yaml = "server: {port: 0}\nstore: {data_dir: " + dataDir + "}\n"
                + "routing: {max_attempts: 4, backoff_ms: 1, breaker_failures: 100000}\n"
                + "upstreams:\n" + upstreams
                + "  - {name: fallback, base_url: " + fallbackFake.baseUrl() + "}\n"
                + "models:\n  - id: pm\n    routes:\n" + routes
                + "  - id: pm-fallback\n    routes:\n      - {name: fallback-eu, upstream: fallback, model: up-fallback-eu, policy: {trains: false, zdr: true, jurisdiction: EU}}\n";
        gateway = Gateway.start(ConfigLoader.parse(yaml, Map.of()), Map.of());
    }

    @AfterAll
    static void stop() {
        gateway.close();
        fakes.values().forEach(FakeUpstream::close);
        fallbackFake.close();
    }

    @BeforeEach
    void reset() {
        fakes.values().forEach(FakeUpstream::reset);
        fallbackFake.reset();
    }

    /** A generated request policy, with the set of route names it allows computed independently. */
    record Scenario(String description, String policyJson, Set<String> requestAllows) {
    }

    @Test
    void generatedPoliciesAndFailuresNeverReachANonCompliantRoute() throws Exception {
        Random random = new Random(20261121);
        for (int i = 0; i < 120; i++) {
            reset();
            KeyPolicy keyPolicy = randomKey(random);
            Set<String> keyAllows = keyAllows(keyPolicy);
            Scenario scenario = randomScenario(random);
            Set<String> compliant = new HashSet<>(keyAllows);
            compliant.retainAll(scenario.requestAllows());
            Set<String> failing = new HashSet<>();
            for (Map.Entry<String, FakeUpstream> fake : fakes.entrySet()) {
                int roll = random.nextInt(10);
                if (roll < 2) {
                    fake.getValue().error(503, "{\"error\":{\"message\":\"overloaded\"}}");
                    failing.add(fake.getKey());
                } else if (roll < 3) {
                    fake.getValue().error(429, "{}");
                    failing.add(fake.getKey());
                }
            }
            String key = issue(keyPolicy);
            boolean stream = random.nextBoolean();
            HttpResponse<String> response = post(key, "{\"model\":\"pm\",\"stream\":" + stream
                    + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]" + scenario.policyJson() + "}");
            String what = "scenario " + i + ": key " + keyPolicy + ", request " + scenario.description() + ", failing " + failing;

            for (Map.Entry<String, FakeUpstream> fake : fakes.entrySet()) {
                if (!compliant.contains(fake.getKey())) {
                    assertThat(fake.getValue().requests()).as("non-compliant route %s was contacted; %s", fake.getKey(), what).isEmpty();
                }
                for (FakeUpstream.Recorded seen : fake.getValue().requests()) {
                    JsonNode body = seen.json();
                    assertThat(body.has("privacy") || body.has("provider") || body.has("data_policy") || body.has("providers"))
                            .as("routing fields stripped; %s", what).isFalse();
                }
            }
            Set<String> healthy = new HashSet<>(compliant);
            healthy.removeAll(failing);
            if (compliant.isEmpty()) {
                assertThat(response.statusCode()).as(what).isEqualTo(403);
                JsonNode error = JSON.readTree(response.body()).path("error");
                assertThat(error.path("type").asText()).isEqualTo("privacy_policy_violation");
                assertThat(error.path("code").asText()).isEqualTo("no_compliant_route");
                List<String> excluded = new ArrayList<>();
                error.path("excluded").forEach(e -> {
                    excluded.add(e.path("route").asText());
                    assertThat(e.path("constraint").asText()).as(what).matches("(key|privacy|provider|data_policy|providers)\\..+");
                });
                assertThat(excluded).as(what).containsExactlyInAnyOrderElementsOf(ROUTES.keySet());
            } else if (!healthy.isEmpty()) {
                assertThat(response.statusCode()).as("a compliant healthy route exists; %s; body %s", what, response.body()).isEqualTo(200);
                String route = response.headers().firstValue("x-veil-route").orElseThrow();
                assertThat(healthy).as(what).contains(route);
                assertThat(response.headers().firstValue("x-veil-receipt")).hasValueSatisfying(r -> assertThat(r).contains("\"route\":\"" + route + "\""));
            } else {
                assertThat(response.statusCode()).as(what).isIn(429, 502);
                for (String name : compliant) {
                    assertThat(fakes.get(name).requests()).as("each compliant route tried once; %s", what).hasSize(1);
                }
            }
        }
    }

    @Test
    void openAiClientSendsProviderAndPrivacyAsExtraBodyFields() {
        String key = issue(KeyPolicy.UNRESTRICTED);
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(gateway.baseUrl()).apiKey(key).maxRetries(0).build();
        try {
            ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                    .model("pm").addUserMessage("hello")
                    .putAdditionalBodyProperty("privacy", JsonValue.from(Map.of("min_mode", "tee")))
                    .putAdditionalBodyProperty("provider", JsonValue.from(Map.of("zdr", true, "ignore", List.of("private-eu"))))
                    .build();
            ChatCompletion completion = client.chat().completions().create(params);
            assertThat(completion.choices().get(0).message().content()).hasValue("echo: hello");
            assertThat(fakes.get("tee-eu").requests()).hasSize(1);
            JsonNode forwarded = fakes.get("tee-eu").lastRequest().json();
            assertThat(forwarded.has("privacy") || forwarded.has("provider")).isFalse();
            fakes.forEach((name, fake) -> {
                if (!name.equals("tee-eu")) {
                    assertThat(fake.requests()).as(name).isEmpty();
                }
            });
            var refused = org.assertj.core.api.Assertions.catchThrowableOfType(com.openai.errors.PermissionDeniedException.class,
                    () -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                            .model("pm").addUserMessage("hello")
                            .putAdditionalBodyProperty("privacy", JsonValue.from(Map.of("min_mode", "e2ee"))).build()));
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.type()).hasValue("privacy_policy_violation");
            assertThat(refused.code()).hasValue("no_compliant_route");
        } finally {
            client.close();
        }
    }

    @Test
    void modelFallbacksAreHeldToTheSamePolicy() throws Exception {
        fakes.values().forEach(f -> f.error(503, "{}"));
        String key = issue(KeyPolicy.preset("internal"));
        HttpResponse<String> response = post(key, "{\"models\":[\"pm\",\"pm-fallback\"],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"privacy\":{\"jurisdictions\":[\"EU\"]}}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-veil-route")).contains("fallback-eu");
        assertThat(fakes.get("anon-us").requests()).isEmpty();
        assertThat(fakes.get("private-us").requests()).isEmpty();
        assertThat(fakes.get("private-eu").requests().size() + fakes.get("tee-eu").requests().size()).isEqualTo(2);
        // No "model" in the body: each attempt still names its own route's upstream model.
        for (String route : new String[] {"private-eu", "tee-eu"}) {
            for (FakeUpstream.Recorded seen : fakes.get(route).requests()) {
                assertThat(seen.json().path("model").asText()).isEqualTo("up-" + route);
            }
        }
        assertThat(fallbackFake.lastRequest().json().path("model").asText()).isEqualTo("up-fallback-eu");
    }

    @Test
    void aKeysModelListShowsOnlyWhatItMayUse() throws Exception {
        String confidential = issue(KeyPolicy.preset("confidential"));
        JsonNode models = JSON.readTree(get(confidential, "/v1/models").body()).path("data");
        assertThat(models).hasSize(1);
        assertThat(models.get(0).path("id").asText()).isEqualTo("pm");
        assertThat(models.get(0).path("privacy").path("mode").asText()).isEqualTo("tee");
        assertThat(models.get(0).path("privacy").path("routes")).hasSize(1);
        String onlyFallback = issue(new KeyPolicy(null, PrivacyMode.ANONYMIZED, Set.of("pm-fallback"), Set.of(), Set.of(), null, null, null, null));
        JsonNode visible = JSON.readTree(get(onlyFallback, "/v1/models").body()).path("data");
        assertThat(visible).extracting(m -> m.path("id").asText()).containsExactly("pm-fallback");
        assertThat(get(onlyFallback, "/v1/models/pm").statusCode()).isEqualTo(404);
    }

    @Test
    void rateLimitsAndBudgetsAnswer429WithOpenAiHeaders() throws Exception {
        String limited = issue(new KeyPolicy(null, null, null, null, null, null, null, 2, null));
        String body = "{\"model\":\"pm\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
        assertThat(post(limited, body).statusCode()).isEqualTo(200);
        HttpResponse<String> second = post(limited, body);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.headers().firstValue("x-ratelimit-limit-requests")).contains("2");
        HttpResponse<String> third = post(limited, body);
        assertThat(third.statusCode()).as("%s %s", third.headers().map(), third.body()).isEqualTo(429);
        assertThat(JSON.readTree(third.body()).path("error").path("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(third.headers().firstValue("x-ratelimit-remaining-requests")).contains("0");
        assertThat(third.headers().firstValue("x-ratelimit-reset-requests")).isPresent();
        // 2 a minute: the next request is allowed within 30 s; clients (the OpenAI SDKs) wait Retry-After seconds.
        assertThat(third.headers().firstValue("retry-after").map(Integer::parseInt)).hasValueSatisfying(
                seconds -> assertThat(seconds).isBetween(1, 30));

        // 11 prompt + 3 completion tokens cost at least 11 micro-dollars on the cheapest route; a 10 µ$ budget allows one.
        String budgeted = issue(new KeyPolicy(null, null, null, null, null, 10L, KeyPolicy.BudgetPeriod.DAY, null, null));
        assertThat(post(budgeted, body).statusCode()).isEqualTo(200);
        gateway.flushMetering();
        HttpResponse<String> over = post(budgeted, body);
        assertThat(over.statusCode()).isEqualTo(429);
        assertThat(JSON.readTree(over.body()).path("error").path("type").asText()).isEqualTo("insufficient_quota");
        assertThat(JSON.readTree(over.body()).path("error").path("code").asText()).isEqualTo("budget_exceeded");
        // A daily budget renews at the next UTC midnight.
        assertThat(over.headers().firstValue("retry-after").map(Integer::parseInt)).hasValueSatisfying(
                seconds -> assertThat(seconds).isBetween(1, 86_400));
    }

    @Test
    void nonRetryableUpstreamErrorsAreNotRetriedElsewhere() throws Exception {
        fakes.values().forEach(f -> f.error(400, "{\"error\":{\"message\":\"bad temperature\",\"param\":\"temperature\"}}"));
        String key = issue(KeyPolicy.UNRESTRICTED);
        HttpResponse<String> response = post(key, "{\"model\":\"pm\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(fakes.values().stream().mapToInt(f -> f.requests().size()).sum()).isEqualTo(1);
    }

    // ------------------------------------------------------------------ generators and oracle

    private static KeyPolicy randomKey(Random random) {
        return switch (random.nextInt(6)) {
            case 0 -> KeyPolicy.preset("internal");
            case 1 -> KeyPolicy.preset("confidential");
            case 2 -> new KeyPolicy(null, null, null, Set.of("private-us", "anon-us"), null, null, null, null, null);
            case 3 -> new KeyPolicy(null, null, null, null, Set.of("EU"), null, null, null, null);
            default -> KeyPolicy.UNRESTRICTED;
        };
    }

    /** Which routes a key policy allows, computed from the route table above, not by the gateway's code. */
    private static Set<String> keyAllows(KeyPolicy key) {
        Set<String> out = new HashSet<>(ROUTES.keySet());
        switch (key.minMode()) {
            case PRIVATE -> out.remove("anon-us");
            case TEE -> out.retainAll(Set.of("tee-eu"));
            case E2EE -> out.clear();
            default -> { }
        }
        if (!key.allowedRoutes().isEmpty()) {
            out.retainAll(key.allowedRoutes());
        }
        if (key.jurisdictions().contains("EU")) {
            out.retainAll(Set.of("private-eu", "tee-eu"));
        }
        return out;
    }

    private static Scenario randomScenario(Random random) {
        Set<String> all = ROUTES.keySet();
        return switch (random.nextInt(12)) {
            case 0 -> new Scenario("none", "", Set.copyOf(all));
            case 1 -> new Scenario("provider.zdr", ",\"provider\":{\"zdr\":true}", Set.of("private-eu", "private-us", "tee-eu"));
            case 2 -> new Scenario("privacy.min_mode tee", ",\"privacy\":{\"min_mode\":\"tee\"}", Set.of("tee-eu"));
            case 3 -> new Scenario("privacy.min_mode e2ee", ",\"privacy\":{\"min_mode\":\"e2ee\"}", Set.of());
            case 4 -> new Scenario("privacy.jurisdictions US", ",\"privacy\":{\"jurisdictions\":[\"us\"]}", Set.of("anon-us", "private-us"));
            case 5 -> new Scenario("provider.data_collection deny + ignore", ",\"provider\":{\"data_collection\":\"deny\",\"ignore\":[\"private-us\"]}",
                    Set.of("private-eu", "tee-eu"));
            case 6 -> new Scenario("provider.only", ",\"provider\":{\"only\":[\"anon-us\",\"tee-eu\"]}", Set.of("anon-us", "tee-eu"));
            case 7 -> new Scenario("data_policy", ",\"data_policy\":{\"training_allowed\":false,\"retention_days\":0}",
                    Set.of("private-eu", "private-us", "tee-eu"));
            case 8 -> new Scenario("providers.require + exclude", ",\"providers\":{\"require\":[\"no-training\"],\"exclude\":[\"tee-eu\"]}",
                    Set.of("private-eu", "private-us"));
            case 9 -> new Scenario("privacy.max_retention_days 7 + require_tee", ",\"privacy\":{\"max_retention_days\":7,\"require_tee\":true}",
                    Set.of("tee-eu"));
            case 10 -> new Scenario("provider.max_price prompt 2", ",\"provider\":{\"max_price\":{\"prompt\":2}}", Set.of("anon-us", "private-eu"));
            default -> new Scenario("privacy.routes_deny + sort price", ",\"privacy\":{\"routes_deny\":[\"anon-us\"]},\"provider\":{\"sort\":\"price\"}",
                    Set.of("private-eu", "private-us", "tee-eu"));
        };
    }

    // ------------------------------------------------------------------ plumbing

    private static String issue(KeyPolicy policy) {
        IssuedKey key = ApiKeyIssuer.issue("policy-it", policy, Instant.now());
        gateway.store().apiKeys().insert(key.record());
        return key.secret();
    }

    private static HttpResponse<String> post(String key, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                .header("authorization", "Bearer " + key).header("content-type", "application/json")
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String key, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .header("authorization", "Bearer " + key).timeout(Duration.ofSeconds(20)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
