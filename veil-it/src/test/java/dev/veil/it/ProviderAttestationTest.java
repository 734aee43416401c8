package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.Gateway;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.IssuedKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway whose upstream's TEE claim is verified from the provider's attestation report, end to end: the provider
 * (a fake on loopback) serves a genuine dstack report that answers another nonce (a replay), so the claim never holds;
 * the downgraded route serves plaintext requests as {@code private} and refuses a {@code tee} minimum, and the excluded
 * route is left out naming {@code tee_not_attested}. (A report that verifies needs a quote for the gateway's own
 * random nonce, which no recording has; that path is tested in veil-gateway's ProviderAttestationsTest.)
 */
@Timeout(120)
class ProviderAttestationTest {

    private static final Path RESOURCES = Path.of(System.getProperty("veil.repo"), "veil-protocol/src/test/resources");
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dataDir;
    private FakeUpstream chat;
    private FakeUpstream reports;
    private Gateway gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        chat.close();
        reports.close();
    }

    private HttpResponse<String> post(String key, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port()
                        + "/v1/chat/completions")).timeout(Duration.ofSeconds(30))
                .header("authorization", "Bearer " + key).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aReplayedReportNeverGrantsTheTeeClaim() throws Exception {
        chat = FakeUpstream.start();
        reports = FakeUpstream.start();
        byte[] report = Files.readAllBytes(RESOURCES.resolve("dstack/dstack/quote-report-as-provider.json"));
        reports.custom((request, body) -> request.response().putHeader("content-type", "application/json")
                .end(io.vertx.core.buffer.Buffer.buffer(report)));
        String attestation = "{kind: dstack, model: vendor/up, url: \"" + reports.baseUrl()
                + "/attestation/report\", timeout_ms: 5000, min_gpus: 0";
        String yaml = """
                server: {host: 127.0.0.1, port: 0}
                store: {data_dir: %s}
                attestation: {tdx_collateral_dir: "%s"}
                upstreams:
                  - {name: prov-down, base_url: "%s", attestation: %s}}
                  - {name: prov-out, base_url: "%s", attestation: %s, on_failure: exclude}}
                models:
                  - id: m-down
                    routes: [{name: down, upstream: prov-down, model: up, policy: {trains: false, zdr: true, tee: tdx}}]
                  - id: m-out
                    routes: [{name: out, upstream: prov-out, model: up, policy: {trains: false, zdr: true, tee: tdx}}]
                """.formatted(dataDir, RESOURCES.resolve("tdx/dcap-qvl/collateral-2026-02"), chat.baseUrl(),
                attestation, chat.baseUrl(), attestation);
        gateway = Gateway.start(ConfigLoader.parse(yaml, Map.of()), Map.of());
        IssuedKey key = ApiKeyIssuer.issue("it", Instant.now());
        gateway.store().apiKeys().insert(key.record());

        // the gateway asked the provider for its report with a fresh nonce of its own
        assertThat(reports.requests()).hasSizeGreaterThanOrEqualTo(2);
        for (FakeUpstream.Recorded asked : reports.requests()) {
            assertThat(asked.method()).isEqualTo("GET");
            assertThat(asked.path()).isEqualTo("/v1/attestation/report");
        }

        String hello = "{\"model\":\"m-down\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        HttpResponse<String> served = post(key.secret(), hello + "}");
        assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
        assertThat(served.headers().firstValue("x-veil-privacy-mode")).hasValue("private");
        assertThat(served.headers().firstValue("x-veil-receipt").orElseThrow()).contains("\"tee\":\"none\"");

        HttpResponse<String> needsTee = post(key.secret(), hello + ",\"privacy\":{\"min_mode\":\"tee\"}}");
        assertThat(needsTee.statusCode()).isEqualTo(403);
        assertThat(needsTee.body()).contains("no_compliant_route").contains("privacy.min_mode");
        assertThat(chat.requests()).hasSize(1);

        // /v1/models shows what holds now: the downgraded route as private, the excluded model not at all
        HttpResponse<String> models = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port()
                + "/v1/models")).header("authorization", "Bearer " + key.secret()).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(models.body()).contains("\"id\":\"m-down\"").doesNotContain("\"id\":\"m-out\"")
                .contains("\"route\":\"down\",\"mode\":\"private\"").doesNotContain("\"tee\":\"tdx\"");

        HttpResponse<String> out = post(key.secret(),
                "{\"model\":\"m-out\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(out.statusCode()).isBetween(403, 503);
        assertThat(out.body()).contains("tee_not_attested");
        assertThat(chat.requests()).hasSize(1);
    }
}
