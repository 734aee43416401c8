package dev.veil.gateway.providers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.gateway.config.ModelConfig;
import dev.veil.gateway.config.PolicyConfig;
import dev.veil.gateway.config.PriceConfig;
import dev.veil.gateway.config.ProviderAttestationConfig;
import dev.veil.gateway.config.RouteConfig;
import dev.veil.gateway.config.UpstreamConfig;
import dev.veil.gateway.config.VeilConfig;
import dev.veil.gateway.nodes.NodeAdmission;
import dev.veil.protocol.api.Endpoint;
import dev.veil.gateway.openai.RequestInspector;
import dev.veil.gateway.policy.RoutePlan;
import dev.veil.gateway.policy.RoutePlanner;
import dev.veil.gateway.routing.ModelCatalog;
import dev.veil.gateway.routing.Route;
import dev.veil.gateway.routing.RouteHealth;
import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.PrivacyMode;
import dev.veil.protocol.TeeKind;
import dev.veil.protocol.attestation.dstack.DstackPolicy;
import dev.veil.protocol.attestation.dstack.DstackVerifier;
import dev.veil.protocol.attestation.nvidia.GpuCollateral;
import dev.veil.protocol.attestation.nvidia.GpuVerifier;
import dev.veil.protocol.attestation.tdx.TdxCollateral;
import dev.veil.protocol.policy.Exclusion;
import dev.veil.protocol.policy.RequestPolicy;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A hosted provider's TEE claim verified over real HTTP on loopback: a fake provider serves a recorded dstack report
 * (dstack's public fixture: a real TD's quote and event log, UpToDate under dcap-qvl's public collateral) and can be
 * made to fail (tampered quote, HTTP error, oversized or endless answer). The fixture binds a nonce of 32 zero bytes,
 * so the verifier is given that nonce and the collateral's time; everything else is the production path.
 */
@Timeout(60)
class ProviderAttestationsTest {

    private static final Path RESOURCES = Path.of("..", "veil-protocol", "src", "test", "resources");
    private static final byte[] FIXTURE_NONCE = new byte[32];
    private static final Clock AT = Clock.fixed(Instant.parse("2026-03-01T00:00:00Z"), ZoneOffset.UTC);

    private Vertx vertx;
    private HttpServer provider;
    private final AtomicReference<Behaviour> behaviour = new AtomicReference<>();
    private final AtomicReference<String> askedQuery = new AtomicReference<>();
    private byte[] good;
    private ModelCatalog catalog;

    /** What the fake provider does with the next request. */
    sealed interface Behaviour permits Serve, Fail, Hang {
    }

    record Serve(byte[] body) implements Behaviour {
    }

    record Fail(int status) implements Behaviour {
    }

    record Hang() implements Behaviour {
    }

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        ObjectMapper json = new ObjectMapper();
        ObjectNode report = (ObjectNode) json.readTree(
                RESOURCES.resolve("dstack/dstack/quote-report-as-provider.json").toFile());
        report.remove("info"); // a CPU-only deployment: no GPU declared, none required below
        good = json.writeValueAsBytes(report);
        behaviour.set(new Serve(good));
        provider = vertx.createHttpServer().requestHandler(request -> {
            askedQuery.set(request.query());
            switch (behaviour.get()) {
                case Serve s -> request.response().putHeader("content-type", "application/json").end(Buffer.buffer(s.body()));
                case Fail f -> request.response().setStatusCode(f.status()).end("{\"error\":\"down\"}");
                case Hang h -> {
                    // never answers
                }
            }
        }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        UpstreamConfig upstream = UpstreamConfig.of("prov", "http://127.0.0.1:" + provider.actualPort() + "/v1");
        catalog = ModelCatalog.from(new VeilConfig(null, null, List.of(upstream), List.of(new ModelConfig("m", null,
                null, List.of(new RouteConfig("tee-route", "prov", "x", 1, new PriceConfig(0, 0),
                        new PolicyConfig(false, 0, true, "tdx", false, null, null)))))), Map.of());
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private ProviderAttestations attestations(String onFailure, long maxBytes, long timeoutMs) throws Exception {
        return attestations(onFailure, maxBytes, timeoutMs, 600_000);
    }

    private ProviderAttestations attestations(String onFailure, long maxBytes, long timeoutMs, long intervalMs)
            throws Exception {
        ProviderAttestationConfig config = new ProviderAttestationConfig("dstack", null, "vendor/model-1", "ecdsa",
                intervalMs, timeoutMs, maxBytes, onFailure, 0, List.of(), List.of());
        URI url = URI.create("http://127.0.0.1:" + provider.actualPort() + "/v1/attestation/report");
        DstackVerifier verifier = new DstackVerifier(
                TdxCollateral.load(RESOURCES.resolve("tdx/dcap-qvl/collateral-2026-02")), new GpuVerifier(),
                GpuCollateral.none());
        return new ProviderAttestations(vertx, List.of(new ProviderAttestations.Target(catalog.upstreams().get("prov"),
                config, url, DstackPolicy.DEFAULT.withMinGpus(0))), verifier, FIXTURE_NONCE::clone, AT,
                NodeAdmission.NONE);
    }

    private static RequestPolicy minMode(String mode) throws Exception {
        return new RequestInspector(RequestInspector.strictFactory()).inspect(Endpoint.CHAT_COMPLETIONS,
                ("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"privacy\":{\"min_mode\":\""
                        + mode + "\"}}").getBytes(StandardCharsets.UTF_8)).policy();
    }

    private RoutePlan plan(ProviderAttestations providers, RequestPolicy request) {
        return new RoutePlanner(catalog, new RouteHealth(5, 30_000, System::currentTimeMillis), providers)
                .plan(catalog.find("m"), KeyPolicy.UNRESTRICTED, request);
    }

    private static Route route(ModelCatalog catalog) {
        return catalog.find("m").routes().getFirst();
    }

    @Test
    void theRouteKeepsItsTeeClaimOnlyWhileTheProvidersReportVerifiesForTheGatewaysNonce() throws Exception {
        ProviderAttestations providers = attestations("downgrade", 1 << 20, 5_000);
        assertThat(providers.status("prov").verified()).as("nothing is granted before the first verification").isFalse();
        assertThat(providers.teeVerified(route(catalog)).mode()).isEqualTo(PrivacyMode.PRIVATE);

        providers.start().await(20, TimeUnit.SECONDS);
        assertThat(providers.status("prov").verified()).as(providers.status("prov").reason()).isTrue();
        assertThat(askedQuery.get()).isEqualTo("model=vendor%2Fmodel-1&nonce=" + HexFormat.of().formatHex(FIXTURE_NONCE)
                + "&signing_algo=ecdsa");
        assertThat(providers.teeVerified(route(catalog))).isSameAs(route(catalog));
        RoutePlan tee = plan(providers, minMode("tee"));
        assertThat(tee.candidates()).extracting(Route::name).containsExactly("tee-route");
        assertThat(tee.candidates().getFirst().mode()).isEqualTo(PrivacyMode.TEE);

        // the provider now serves a report whose quote was changed: the claim drops to the route's weaker mode
        byte[] tampered = new String(good, StandardCharsets.UTF_8).replaceFirst("\"intel_quote\":\"0400",
                "\"intel_quote\":\"0401").getBytes(StandardCharsets.UTF_8);
        behaviour.set(new Serve(tampered));
        providers.attestAll().await(20, TimeUnit.SECONDS);
        assertThat(providers.status("prov").verified()).isFalse();
        assertThat(providers.status("prov").reason()).contains("refused at 'TDX quote:");
        Route downgraded = providers.teeVerified(route(catalog));
        assertThat(downgraded.policy().teeKind()).isEqualTo(TeeKind.NONE);
        assertThat(downgraded.mode()).isEqualTo(PrivacyMode.PRIVATE);
        RoutePlan refused = plan(providers, minMode("tee"));
        assertThat(refused.candidates()).isEmpty();
        assertThat(refused.excluded()).extracting(Exclusion::constraint).containsExactly("privacy.min_mode");
        RoutePlan privateOk = plan(providers, minMode("private"));
        assertThat(privateOk.candidates()).extracting(Route::mode).containsExactly(PrivacyMode.PRIVATE);
        assertThat(plan(providers, RequestPolicy.NONE).candidates()).extracting(Route::mode)
                .containsExactly(PrivacyMode.PRIVATE);

        // a good report again: re-verification restores the claim
        behaviour.set(new Serve(good));
        providers.attestAll().await(20, TimeUnit.SECONDS);
        assertThat(providers.teeVerified(route(catalog)).mode()).isEqualTo(PrivacyMode.TEE);
    }

    @Test
    void theScheduleReVerifiesAndDropsTheClaimWhenTheReportStopsVerifying() throws Exception {
        ProviderAttestations providers = attestations("downgrade", 1 << 20, 5_000, 1_000);
        providers.start().await(20, TimeUnit.SECONDS);
        assertThat(providers.status("prov").verified()).isTrue();
        Instant first = providers.status("prov").at();
        behaviour.set(new Fail(500));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (providers.status("prov").verified() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(providers.status("prov").verified()).as("dropped by a scheduled re-verification").isFalse();
        assertThat(providers.status("prov").reason()).contains("HTTP 500");
        assertThat(providers.status("prov").at()).isNotNull();
        assertThat(first).isNotNull();
        assertThat(providers.teeVerified(route(catalog)).mode()).isEqualTo(PrivacyMode.PRIVATE);
    }

    @Test
    void withOnFailureExcludeTheRouteIsLeftOutNamingTheConstraint() throws Exception {
        ProviderAttestations providers = attestations("exclude", 1 << 20, 5_000);
        behaviour.set(new Fail(503));
        providers.start().await(20, TimeUnit.SECONDS);
        assertThat(providers.status("prov").reason()).contains("HTTP 503");
        assertThat(providers.teeVerified(route(catalog))).isNull();
        RoutePlan plan = plan(providers, RequestPolicy.NONE);
        assertThat(plan.candidates()).isEmpty();
        assertThat(plan.excluded()).extracting(Exclusion::constraint).containsExactly(Exclusion.TEE_NOT_ATTESTED);
    }

    @Test
    void oversizedEndlessAndMalformedAnswersFailClosedWithinTheirBounds() throws Exception {
        ProviderAttestations small = attestations("downgrade", 4_096, 5_000);
        small.attestAll().await(20, TimeUnit.SECONDS);
        assertThat(small.status("prov").reason()).contains("more than 4096");

        ProviderAttestations quick = attestations("downgrade", 1 << 20, 500);
        behaviour.set(new Hang());
        long started = System.nanoTime();
        quick.attestAll().await(20, TimeUnit.SECONDS);
        assertThat(quick.status("prov").reason()).contains("no whole answer within 500 ms");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isLessThan(10_000);

        behaviour.set(new Serve("{\"intel_quote\":\"zz\"}".getBytes(StandardCharsets.UTF_8)));
        quick.attestAll().await(20, TimeUnit.SECONDS);
        assertThat(quick.status("prov").reason()).startsWith("report not readable:");
        assertThat(quick.teeVerified(route(catalog)).mode()).isEqualTo(PrivacyMode.PRIVATE);

        provider.close().await(10, TimeUnit.SECONDS);
        quick.attestAll().await(20, TimeUnit.SECONDS);
        assertThat(quick.status("prov").reason()).startsWith("report not fetched:");
    }

}
