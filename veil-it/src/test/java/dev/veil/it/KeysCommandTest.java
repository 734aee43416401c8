package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * API keys end to end: {@code veil keys create|list|revoke} from the shaded jar against a store a gateway then uses,
 * and the admin API of a running gateway.
 */
@Timeout(60)
class KeysCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern KEY_LINE = Pattern.compile("(?m)^VEIL_API_KEY=(\\S+)$");
    private static final Pattern CREATED = Pattern.compile("(?m)^Created key (\\S+) \\((.*)\\)\\.");

    @TempDir
    static Path tmp;

    private static GatewayFixture fixture;

    @BeforeAll
    static void startGateway() throws Exception {
        fixture = GatewayFixture.start(Files.createDirectories(tmp.resolve("admin-gateway")));
    }

    @AfterAll
    static void stopGateway() {
        if (fixture != null) {
            fixture.close();
        }
    }

    // ---------------------------------------------------------------- CLI

    @Test
    void listingOrRevokingWhereNoStoreIsIsAnErrorNotAnEmptyStore() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("typo"));
        String missing = dir.resolve("no-such-store").toString();
        for (String[] args : new String[][] {{"keys", "list", "--data-dir", missing}, {"keys", "revoke", "key_x", "--data-dir", missing}}) {
            CompatProcess.Result result = CompatProcess.run(dir, CLI_TIMEOUT, args);
            assertThat(result.exit()).isEqualTo(1);
            assertThat(result.stderr()).contains("no Veil store at").contains("no-such-store");
        }
        assertThat(dir.resolve("no-such-store")).doesNotExist();
    }

    @Test
    void aNameWithControlCharactersIsRefusedNamingTheOption() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("bad-name"));
        Path store = dir.resolve("store");
        for (String name : new String[] {"bell\u0007name", "two\nlines", "x".repeat(101)}) {
            CompatProcess.Result result = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "create", "--name", name,
                    "--data-dir", store.toString());
            assertThat(result.exit()).as(result.stderr()).isEqualTo(2);
            assertThat(result.stderr()).contains("veil: --name:");
            assertThat(result.stdout()).doesNotContain("VEIL_API_KEY");
        }
        assertThat(store).as("no store is created for a refused name").doesNotExist();
    }

    @Test
    void createListRevokeFromTheCommandLine() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("cli"));
        String dataDir = dir.resolve("store").toString();

        CompatProcess.Result created = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "create", "--name", "x", "--data-dir", dataDir);
        assertThat(created.exit()).as("stdout:\n%s\nstderr:\n%s", created.stdout(), created.stderr()).isZero();
        Matcher secretMatch = KEY_LINE.matcher(created.stdout());
        assertThat(secretMatch.find()).as(created.stdout()).isTrue();
        String secret = secretMatch.group(1);
        Matcher idMatch = CREATED.matcher(created.stdout());
        assertThat(idMatch.find()).as(created.stdout()).isTrue();
        String id = idMatch.group(1);
        assertThat(idMatch.group(2)).isEqualTo("x");
        assertThat(id).startsWith("key_");
        assertThat(secret).isNotEqualTo(id).hasSizeGreaterThan(20);

        CompatProcess.Result second = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "create", "--name", "keeper", "--data-dir", dataDir);
        assertThat(second.exit()).isZero();
        Matcher keeperSecretMatch = KEY_LINE.matcher(second.stdout());
        assertThat(keeperSecretMatch.find()).isTrue();
        String keeperSecret = keeperSecretMatch.group(1);
        assertThat(keeperSecret).isNotEqualTo(secret);

        CompatProcess.Result listed = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "list", "--data-dir", dataDir);
        assertThat(listed.exit()).as(listed.stderr()).isZero();
        String rowX = listed.stdout().lines().filter(l -> l.startsWith(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + id + " in:\n" + listed.stdout()));
        assertThat(rowX.split("\\s+")[1]).isEqualTo("x");
        assertThat(rowX).endsWith("active");
        assertThat(listed.stdout()).contains("keeper");
        assertThat(listed.stdout()).doesNotContain(secret).doesNotContain(keeperSecret);
        assertThat(listed.stderr()).doesNotContain(secret);

        CompatProcess.Result revoked = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "revoke", id, "--data-dir", dataDir);
        assertThat(revoked.exit()).as("stdout:\n%s\nstderr:\n%s", revoked.stdout(), revoked.stderr()).isZero();
        assertThat(revoked.stdout()).contains(id);

        CompatProcess.Result again = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "revoke", id, "--data-dir", dataDir);
        assertThat(again.exit()).as("revoking a revoked key").isNotZero();
        assertThat(again.stderr()).contains(id);

        CompatProcess.Result unknown = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "revoke", "key_doesnotexist", "--data-dir", dataDir);
        assertThat(unknown.exit()).isNotZero();

        CompatProcess.Result listedAfter = CompatProcess.run(dir, CLI_TIMEOUT, "keys", "list", "--data-dir", dataDir);
        String rowAfter = listedAfter.stdout().lines().filter(l -> l.startsWith(id)).findFirst().orElseThrow();
        assertThat(rowAfter).contains("revoked");

        // A gateway on that store: the revoked key is refused, the other key works.
        try (GatewayFixture gateway = GatewayFixture.start(Path.of(dataDir))) {
            assertThat(status(gateway, secret)).as("revoked CLI key").isEqualTo(401);
            assertThat(status(gateway, keeperSecret)).as("active CLI key").isEqualTo(200);
        }
    }

    private static int status(GatewayFixture gateway, String key) {
        return gateway.send(HttpRequest.newBuilder(URI.create(gateway.origin() + "/v1/models"))
                .header("authorization", "Bearer " + key).GET()).statusCode();
    }

    // ---------------------------------------------------------------- admin API

    private static HttpRequest.Builder admin(String path, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fixture.origin() + path));
        return token == null ? b : b.header("authorization", "Bearer " + token);
    }

    @Test
    void adminApiCreatesListsAndRevokesKeysAtOnce() throws Exception {
        HttpResponse<String> created = fixture.send(admin("/admin/keys", GatewayFixture.ADMIN_TOKEN)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"ci-bot\"}")));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(created.headers().firstValue("x-request-id")).isPresent();
        JsonNode body = JSON.readTree(created.body());
        String secret = body.path("key").asText();
        String id = body.path("id").asText();
        assertThat(secret).hasSizeGreaterThan(20);
        assertThat(id).startsWith("key_");
        assertThat(body.path("name").asText()).isEqualTo("ci-bot");
        assertThat(body.path("revoked_at").isNull()).isTrue();

        assertThat(status(fixture, secret)).as("new key on /v1/models").isEqualTo(200);

        HttpResponse<String> list = fixture.send(admin("/admin/keys", GatewayFixture.ADMIN_TOKEN).GET());
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.body()).doesNotContain(secret).doesNotContain(fixture.apiKey);
        JsonNode listed = JSON.readTree(list.body());
        assertThat(listed.path("object").asText()).isEqualTo("list");
        JsonNode entry = null;
        for (JsonNode k : listed.path("data")) {
            assertThat(k.has("key")).as("listing holds no secret field").isFalse();
            if (k.path("id").asText().equals(id)) {
                entry = k;
            }
        }
        assertThat(entry).as("created key listed").isNotNull();
        assertThat(entry.path("name").asText()).isEqualTo("ci-bot");
        assertThat(entry.path("revoked_at").isNull()).isTrue();

        HttpResponse<String> deleted = fixture.send(admin("/admin/keys/" + id, GatewayFixture.ADMIN_TOKEN).DELETE());
        assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
        assertThat(JSON.readTree(deleted.body()).path("revoked").asBoolean()).isTrue();

        // The key was cached by the call above; the revocation must still take effect at once.
        HttpResponse<String> refused = fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/models"))
                .header("authorization", "Bearer " + secret).GET());
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(refused.body()).path("error").path("code").asText()).isEqualTo("invalid_api_key");
        HttpResponse<String> chat = fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + secret).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"test-chat\",\"messages\":[]}")));
        assertThat(chat.statusCode()).isEqualTo(401);
        assertThat(status(fixture, fixture.apiKey)).as("other keys are unaffected").isEqualTo(200);

        HttpResponse<String> listAfter = fixture.send(admin("/admin/keys", GatewayFixture.ADMIN_TOKEN).GET());
        for (JsonNode k : JSON.readTree(listAfter.body()).path("data")) {
            if (k.path("id").asText().equals(id)) {
                assertThat(k.path("revoked_at").isNumber()).as("revoked_at set").isTrue();
            }
        }

        HttpResponse<String> deletedAgain = fixture.send(admin("/admin/keys/" + id, GatewayFixture.ADMIN_TOKEN).DELETE());
        assertThat(deletedAgain.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(deletedAgain.body()).path("error").path("code").asText()).isEqualTo("key_not_found");
    }

    @Test
    void adminApiWithoutABodyCreatesAnUnnamedKey() throws Exception {
        HttpResponse<String> created = fixture.send(admin("/admin/keys", GatewayFixture.ADMIN_TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(JSON.readTree(created.body()).path("name").asText()).isEqualTo("unnamed");
    }

    @Test
    void wrongOrMissingAdminTokenIsAnOpenAiShaped401() throws Exception {
        for (String token : new String[] {"wrong-token", fixture.apiKey, null}) {
            HttpResponse<String> response = fixture.send(admin("/admin/keys", token).GET());
            assertThat(response.statusCode()).as("token %s", token).isEqualTo(401);
            assertThat(response.headers().firstValue("content-type"))
                    .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/json"));
            JsonNode error = JSON.readTree(response.body()).path("error");
            assertThat(error.path("type").asText()).isEqualTo("authentication_error");
            assertThat(error.path("code").asText()).isEqualTo("invalid_admin_token");
            assertThat(error.path("message").asText()).isNotBlank();
            assertThat(error.has("param")).isTrue();
        }
        HttpResponse<String> create = fixture.send(admin("/admin/keys", "wrong-token")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"sneaky\"}")));
        assertThat(create.statusCode()).isEqualTo(401);
        assertThat(create.body()).doesNotContain("\"key\"");
        HttpResponse<String> delete = fixture.send(admin("/admin/keys/" + fixture.keyId, "wrong-token").DELETE());
        assertThat(delete.statusCode()).isEqualTo(401);
        assertThat(status(fixture, fixture.apiKey)).as("the key survived the refused DELETE").isEqualTo(200);
    }
}
