package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.admin.AdminApi;
import dev.veil.gateway.auth.KeyAuthenticator;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.PrivacyMode;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.ApiKeyRecord;
import dev.veil.store.IssuedKey;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Per-key policies end to end: the admin API of a running gateway ({@code POST}/{@code GET}/{@code PATCH
 * /admin/keys}) and {@code veil keys create|policy|list} from the shaded jar.
 */
@Timeout(60)
class KeyPolicyAdminTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern CREATED = Pattern.compile("(?m)^Created key (\\S+) \\((.*)\\)\\.");

    @TempDir
    static Path tmp;

    private static GatewayFixture fixture;

    @BeforeAll
    static void startGateway() throws Exception {
        fixture = GatewayFixture.start(Files.createDirectories(tmp.resolve("gateway")));
    }

    @AfterAll
    static void stopGateway() {
        if (fixture != null) {
            fixture.close();
        }
    }

    // ---------------------------------------------------------------- admin API over HTTP

    private static HttpRequest.Builder admin(String path) {
        return HttpRequest.newBuilder(URI.create(fixture.origin() + path))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN)
                .header("content-type", "application/json");
    }

    private static HttpResponse<String> create(String body) {
        return fixture.send(admin("/admin/keys").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static JsonNode listed(String id) throws Exception {
        HttpResponse<String> list = fixture.send(admin("/admin/keys").GET());
        assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
        for (JsonNode k : JSON.readTree(list.body()).path("data")) {
            assertThat(k.has("policy")).as("every listed key has a policy: %s", k).isTrue();
            if (k.path("id").asText().equals(id)) {
                return k;
            }
        }
        throw new AssertionError("key " + id + " not listed in " + list.body());
    }

    @Test
    void createWithAPresetShowsThePolicyAndListsIt() throws Exception {
        HttpResponse<String> created = create("{\"name\":\"team-conf\",\"preset\":\"confidential\"}");

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode body = JSON.readTree(created.body());
        assertThat(body.path("policy")).isEqualTo(JSON.readTree("{\"preset\":\"confidential\",\"min_mode\":\"tee\"}"));
        String id = body.path("id").asText();
        String secret = body.path("key").asText();
        assertThat(listed(id).path("policy")).isEqualTo(body.path("policy"));
        assertThat(fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/models"))
                .header("authorization", "Bearer " + secret).GET()).statusCode()).as("the new key works").isEqualTo(200);
    }

    @Test
    void createWithACustomPolicy() throws Exception {
        String policy = "{\"min_mode\":\"private\",\"allowed_models\":[\"test-embed\",\"test-chat\"],"
                + "\"allowed_routes\":[\"fake-zdr\"],\"jurisdictions\":[\"EU\",\"CH\"],\"budget_usd\":12.5,"
                + "\"budget_period\":\"day\",\"rpm\":60,\"tpm\":100000}";
        HttpResponse<String> created = create("{\"name\":\"custom\",\"policy\":" + policy + "}");

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode shown = JSON.readTree(created.body()).path("policy");
        assertThat(shown).isEqualTo(JSON.readTree("{\"min_mode\":\"private\",\"allowed_models\":[\"test-chat\","
                + "\"test-embed\"],\"allowed_routes\":[\"fake-zdr\"],\"jurisdictions\":[\"CH\",\"EU\"],"
                + "\"budget_usd\":12.5,\"budget_period\":\"day\",\"rpm\":60,\"tpm\":100000}"));
        String id = JSON.readTree(created.body()).path("id").asText();
        assertThat(listed(id).path("policy")).isEqualTo(shown);
        assertThat(fixture.gateway.store().apiKeys().findById(id).orElseThrow().policy()).isEqualTo(new KeyPolicy(null,
                PrivacyMode.PRIVATE, Set.of("test-chat", "test-embed"), Set.of("fake-zdr"), Set.of("EU", "CH"),
                12_500_000L, KeyPolicy.BudgetPeriod.DAY, 60, 100_000));
    }

    @Test
    void topLevelPresetIsTheBaseOfThePolicyObject() throws Exception {
        HttpResponse<String> created = create("{\"policy\":{\"rpm\":60},\"preset\":\"internal\"}");

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(JSON.readTree(created.body()).path("policy"))
                .isEqualTo(JSON.readTree("{\"preset\":\"internal\",\"min_mode\":\"private\",\"rpm\":60}"));
    }

    @Test
    void keysWithoutAPolicyAreUnrestricted() throws Exception {
        HttpResponse<String> created = create("{\"name\":\"plain\"}");

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(JSON.readTree(created.body()).path("policy"))
                .isEqualTo(JSON.readTree("{\"min_mode\":\"anonymized\"}"));
        assertThat(listed(fixture.keyId).path("policy")).isEqualTo(JSON.readTree("{\"min_mode\":\"anonymized\"}"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"policy\":{\"min_modes\":\"tee\"}}                       | policy.min_modes         | unknown_parameter",
            "{\"policy\":{\"min_mode\":\"SECRET\"}}                     | policy.min_mode          | invalid_value",
            "{\"policy\":{\"rpm\":0}}                                   | policy.rpm               | invalid_value",
            "{\"policy\":{\"rpm\":\"SECRET\"}}                          | policy.rpm               | invalid_type",
            "{\"policy\":{\"tpm\":1.5}}                                 | policy.tpm               | invalid_type",
            "{\"policy\":{\"budget_usd\":-1}}                           | policy.budget_usd        | invalid_value",
            "{\"policy\":{\"budget_period\":\"SECRET\"}}                | policy.budget_period     | invalid_value",
            "{\"policy\":{\"allowed_models\":[\"test-chat\",7]}}        | policy.allowed_models[1] | invalid_type",
            "{\"policy\":{\"jurisdictions\":\"SECRET\"}}                | policy.jurisdictions     | invalid_type",
            "{\"policy\":{\"preset\":\"SECRET\"}}                       | policy.preset            | invalid_value",
            "{\"policy\":{\"request_log\":\"SECRET\"}}                  | policy.request_log       | invalid_value",
            "{\"policy\":{\"request_log_retention_days\":0}}          | policy.request_log_retention_days | invalid_value",
            "{\"policy\":\"SECRET\"}                                    | policy                   | invalid_type",
            "{\"preset\":\"SECRET\"}                                    | preset                   | invalid_value",
            "{\"preset\":7}                                             | preset                   | invalid_type",
            "{\"preset\":\"internal\",\"policy\":{\"preset\":\"regulated\"}} | preset              | invalid_value",
            "{\"name\":\"n\",\"nmae\":\"SECRET\"}                       | nmae                     | unknown_parameter",
            "{\"name\":\"SECRET\\u0000x\"}                               | name                     | invalid_value",
            "{\"name\":\"SECRET\\nline\"}                                | name                     | invalid_value",
            "{\"name\":\"SECRET\\u001b[31m\"}                            | name                     | invalid_value",
            "{\"name\":\"x\\u202eSECRET\"}                               | name                     | invalid_value",
            "{\"name\":\"\\ud800SECRET\"}                                | name                     | invalid_value",
            "{\"policy\":{\"allowed_models\":[\"SECRET\\u0007\"]}}          | policy.allowed_models[0] | invalid_value",
            "{\"policy\":{\"allowed_routes\":[\"a\",\"SECRET\\r\"]}}      | policy.allowed_routes[1] | invalid_value",
    })
    void badInputIsAnOpenAiShaped400NamingTheField(String body, String param, String code) throws Exception {
        int before = fixture.gateway.store().apiKeys().list().size();

        HttpResponse<String> response = create(body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("param").asText()).isEqualTo(param);
        assertThat(error.path("code").asText()).isEqualTo(code);
        assertThat(error.path("message").asText()).isNotBlank().doesNotContain("SECRET");
        assertThat(response.body()).doesNotContain("SECRET");
        assertThat(fixture.gateway.store().apiKeys().list()).as("no key created").hasSize(before);
    }

    @Test
    void malformedPolicyJsonIsA400WithoutQuotingIt() throws Exception {
        HttpResponse<String> response = create("{\"policy\":{\"rpm\":SECRET}}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("invalid_json");
        assertThat(response.body()).doesNotContain("SECRET");
    }

    @Test
    void patchReplacesThePolicy() throws Exception {
        JsonNode created = JSON.readTree(create("{\"name\":\"patched\",\"preset\":\"public\",\"policy\":{\"rpm\":5}}").body());
        String id = created.path("id").asText();

        HttpResponse<String> patched = fixture.send(admin("/admin/keys/" + id).method("PATCH",
                HttpRequest.BodyPublishers.ofString("{\"policy\":{\"preset\":\"regulated\",\"tpm\":1000}}")));

        assertThat(patched.statusCode()).as(patched.body()).isEqualTo(200);
        JsonNode expected = JSON.readTree("{\"preset\":\"regulated\",\"min_mode\":\"e2ee\",\"tpm\":1000}");
        assertThat(JSON.readTree(patched.body()).path("policy")).as("replaced, rpm not kept").isEqualTo(expected);
        assertThat(JSON.readTree(patched.body()).has("key")).as("no secret in a PATCH answer").isFalse();
        assertThat(listed(id).path("policy")).isEqualTo(expected);

        HttpResponse<String> bad = fixture.send(admin("/admin/keys/" + id).method("PATCH",
                HttpRequest.BodyPublishers.ofString("{\"policy\":{\"rpm\":-1}}")));
        assertThat(bad.statusCode()).as(bad.body()).isEqualTo(400);
        assertThat(JSON.readTree(bad.body()).path("error").path("param").asText()).isEqualTo("policy.rpm");
        assertThat(listed(id).path("policy")).as("unchanged by a refused PATCH").isEqualTo(expected);

        for (String path : List.of("/admin/keys/key%00x", "/admin/keys/key_" + "a".repeat(300), "/admin/keys/a/b",
                "/admin/keys/key%0d%0aSECRET")) {
            HttpResponse<String> patchedBadId = fixture.send(admin(path).method("PATCH",
                    HttpRequest.BodyPublishers.ofString("{\"preset\":\"internal\"}")));
            HttpResponse<String> revokedBadId = fixture.send(admin(path).DELETE());
            for (HttpResponse<String> r : List.of(patchedBadId, revokedBadId)) {
                assertThat(r.statusCode()).as(path + " " + r.body()).isEqualTo(400);
                assertThat(JSON.readTree(r.body()).path("error").path("param").asText()).isEqualTo("id");
                assertThat(r.body()).doesNotContain("SECRET");
            }
        }

        HttpResponse<String> unknown = fixture.send(admin("/admin/keys/key_doesnotexist").method("PATCH",
                HttpRequest.BodyPublishers.ofString("{\"preset\":\"internal\"}")));
        assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(404);
        assertThat(JSON.readTree(unknown.body()).path("error").path("code").asText()).isEqualTo("key_not_found");

        assertThat(fixture.send(admin("/admin/keys/" + id).DELETE()).statusCode()).isEqualTo(200);
        HttpResponse<String> revoked = fixture.send(admin("/admin/keys/" + id).method("PATCH",
                HttpRequest.BodyPublishers.ofString("{\"preset\":\"internal\"}")));
        assertThat(revoked.statusCode()).as("revoked key").isEqualTo(404);
    }

    // ---------------------------------------------------------------- AdminApi.updatePolicy, called directly

    /**
     * {@code updatePolicy} on an {@link AdminApi} over the fixture's store, with its own authenticator, so the change
     * and the cache invalidation are checked without the HTTP dispatch.
     */
    @Test
    void updatePolicyReplacesThePolicyAndInvalidatesTheKeyCache() throws Exception {
        Vertx vertx = Vertx.vertx();
        WorkerExecutor jdbc = vertx.createSharedWorkerExecutor("policy-test-jdbc", 2);
        try {
            var keys = fixture.gateway.store().apiKeys();
            KeyAuthenticator authenticator = new KeyAuthenticator(keys, jdbc, Duration.ofMinutes(5));
            AdminApi api = new AdminApi(Optional.of("t"), "T", keys, jdbc, authenticator, new JsonFactory());
            IssuedKey issued = ApiKeyIssuer.issue("direct", KeyPolicy.preset("internal"), Instant.now());
            keys.insert(issued.record());
            String bearer = "Bearer " + issued.secret();
            assertThat(await(authenticator.authenticate(bearer)).policy()).isEqualTo(KeyPolicy.preset("internal"));

            AdminApi.Reply reply = await(api.updatePolicy(issued.record().id(),
                    bytes("{\"preset\":\"confidential\",\"policy\":{\"allowed_models\":[\"test-chat\"]}}")));

            assertThat(reply.status()).isEqualTo(200);
            KeyPolicy expected = new KeyPolicy("confidential", PrivacyMode.TEE, Set.of("test-chat"), null, null, null,
                    null, null, null);
            assertThat(JSON.readTree(reply.body()).path("policy"))
                    .isEqualTo(JSON.readTree("{\"preset\":\"confidential\",\"min_mode\":\"tee\",\"allowed_models\":[\"test-chat\"]}"));
            assertThat(keys.findById(issued.record().id()).orElseThrow().policy()).isEqualTo(expected);
            ApiKeyRecord seen = await(authenticator.authenticate(bearer));
            assertThat(seen.policy()).as("the cached key was dropped; the change applies at once").isEqualTo(expected);

            assertThat(failure(api.updatePolicy(issued.record().id(), bytes("{\"policy\":{\"tpm\":0}}"))).error().param())
                    .isEqualTo("policy.tpm");
            assertThat(failure(api.updatePolicy(issued.record().id(), bytes("{}"))).error().param()).isEqualTo("policy");
            assertThat(failure(api.updatePolicy(issued.record().id(), bytes("{\"name\":\"x\"}"))).error().param())
                    .isEqualTo("name");
            assertThat(failure(api.updatePolicy("key_doesnotexist", bytes("{\"preset\":\"internal\"}"))).error().code())
                    .isEqualTo("key_not_found");
            keys.revoke(issued.record().id(), Instant.now());
            assertThat(failure(api.updatePolicy(issued.record().id(), bytes("{\"preset\":\"internal\"}"))).error()
                    .httpStatus()).as("revoked").isEqualTo(404);
            assertThat(keys.findById(issued.record().id()).orElseThrow().policy()).isEqualTo(expected);
        } finally {
            jdbc.close();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static InvalidRequestException failure(Future<?> future) throws Exception {
        try {
            future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(InvalidRequestException.class);
            return (InvalidRequestException) e.getCause();
        }
        throw new AssertionError("expected a refusal");
    }

    // ---------------------------------------------------------------- CLI

    @Test
    void createPolicyAndListFromTheCommandLine() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("cli"));
        String dataDir = dir.resolve("store").toString();

        CompatProcess.Result created = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "create", "--name", "conf",
                "--preset", "confidential", "--rpm", "60", "--budget-usd", "10", "--data-dir", dataDir);
        assertThat(created.exit()).as("stdout:\n%s\nstderr:\n%s", created.stdout(), created.stderr()).isZero();
        Matcher idMatch = CREATED.matcher(created.stdout());
        assertThat(idMatch.find()).as(created.stdout()).isTrue();
        String confId = idMatch.group(1);
        assertThat(created.stdout()).contains("\"preset\":\"confidential\"", "\"rpm\":60");

        CompatProcess.Result custom = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "create", "--name", "cust",
                "--min-mode", "private", "--models", "test-chat,test-embed", "--routes", "fake-zdr",
                "--jurisdictions", "EU,CH", "--budget-usd", "2.5", "--budget-period", "day", "--tpm", "100000",
                "--data-dir", dataDir);
        assertThat(custom.exit()).as(custom.stderr()).isZero();
        Matcher customMatch = CREATED.matcher(custom.stdout());
        assertThat(customMatch.find()).isTrue();
        String customId = customMatch.group(1);

        CompatProcess.Result plain = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "create", "--name", "plain",
                "--data-dir", dataDir);
        assertThat(plain.exit()).isZero();
        Matcher plainMatch = CREATED.matcher(plain.stdout());
        assertThat(plainMatch.find()).isTrue();
        String plainId = plainMatch.group(1);

        CompatProcess.Result updated = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "policy", plainId,
                "--preset", "internal", "--tpm", "5000", "--data-dir", dataDir);
        assertThat(updated.exit()).as(updated.stderr()).isZero();
        assertThat(updated.stdout()).contains(plainId, "\"preset\":\"internal\"", "\"tpm\":5000");

        CompatProcess.Result minimised = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "create", "--name", "min",
                "--request-log", "daily_totals", "--request-log-retention-days", "7", "--data-dir", dataDir);
        assertThat(minimised.exit()).as(minimised.stderr()).isZero();
        assertThat(minimised.stdout()).contains("\"request_log\":\"daily_totals\"", "\"request_log_retention_days\":7");

        CompatProcess.Result shown = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "policy", customId, "--data-dir", dataDir);
        assertThat(shown.exit()).as(shown.stderr()).isZero();
        assertThat(shown.stdout()).contains("\"min_mode\":\"private\"", "\"jurisdictions\":[\"CH\",\"EU\"]");

        CompatProcess.Result listed = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "list", "--data-dir", dataDir);
        assertThat(listed.exit()).as(listed.stderr()).isZero();
        assertThat(row(listed.stdout(), confId)).contains("confidential", "tee", "$10/month").endsWith("active");
        assertThat(row(listed.stdout(), customId)).contains("custom", "private", "$2.5/day").endsWith("active");
        assertThat(row(listed.stdout(), plainId)).contains("internal", "private").endsWith("active");
        assertThat(listed.stdout().lines().findFirst().orElseThrow()).contains("PRESET", "MIN_MODE", "BUDGET");

        CompatProcess.Result unknown = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "policy", "key_doesnotexist",
                "--preset", "public", "--data-dir", dataDir);
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.stderr()).contains("key_doesnotexist");

        // A gateway on that store shows the policies set from the command line.
        try (GatewayFixture gateway = GatewayFixture.start(Path.of(dataDir))) {
            HttpResponse<String> list = gateway.send(HttpRequest.newBuilder(URI.create(gateway.origin() + "/admin/keys"))
                    .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN).GET());
            assertThat(list.statusCode()).isEqualTo(200);
            JsonNode policyOfPlain = null;
            for (JsonNode k : JSON.readTree(list.body()).path("data")) {
                if (k.path("id").asText().equals(plainId)) {
                    policyOfPlain = k.path("policy");
                }
            }
            assertThat(policyOfPlain).isEqualTo(
                    JSON.readTree("{\"preset\":\"internal\",\"min_mode\":\"private\",\"tpm\":5000}"));
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--preset        | secret | --preset",
            "--min-mode      | secret | --min-mode",
            "--models        | a,,b   | --models",
            "--budget-usd    | ten    | --budget-usd",
            "--budget-usd    | -1     | --budget-usd",
            "--budget-period | week   | --budget-period",
            "--rpm           | 0      | --rpm",
            "--tpm           | many   | --tpm",
            "--request-log   | second | --request-log",
            "--request-log-retention-days | 0 | --request-log-retention-days",
    })
    void badOptionValuesExitWith2NamingTheOption(String option, String value, String named) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("bad-options"));
        Path store = dir.resolve("store-" + option.substring(2) + "-" + Math.abs(value.hashCode()));

        CompatProcess.Result result = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "create", option, value,
                "--data-dir", store.toString());

        assertThat(result.exit()).as(result.stderr()).isEqualTo(2);
        assertThat(result.stderr()).contains("veil: " + named + ":");
        assertThat(result.stdout()).doesNotContain("VEIL_API_KEY");
        assertThat(store).as("no store is created for a refused command").doesNotExist();

        CompatProcess.Result policy = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "policy", "key_x", option, value,
                "--data-dir", store.toString());
        assertThat(policy.exit()).as(policy.stderr()).isEqualTo(2);
        assertThat(policy.stderr()).contains("veil: " + named + ":");
    }

    private static String row(String listing, String id) {
        return listing.lines().filter(l -> l.startsWith(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + id + " in:\n" + listing));
    }
}
