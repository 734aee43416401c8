package dev.veil.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.protocol.attestation.NodeDeclaration;
import dev.veil.protocol.policy.PolicyTarget;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EngineRequestTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "/v1/chat/completions";
    /** A simulated node that declares itself "node-a" in the EU, never training, keeping nothing. */
    private static final PolicyTarget NODE = new NodeDeclaration("node-a", false, 0, true, "EU", null).target("simulated");

    private static EngineRequest prepare(String body, String engineModel, boolean stream) throws EngineRequest.Refused {
        return EngineRequest.prepare(JSON, bytes(body), dev.veil.protocol.api.Endpoint.CHAT_COMPLETIONS, java.util.Set.of("chat"), "public", engineModel, stream, NODE);
    }

    @Test
    void renamesTheModelAndAsksForUsageInStreams() throws Exception {
        EngineRequest request = prepare("{\"model\":\"public\",\"stream\":true,\"n\":1}", "engine-name", true);

        JsonNode sent = JSON.readTree(request.body());
        assertThat(sent.path("model").asText()).isEqualTo("engine-name");
        assertThat(sent.path("stream_options").path("include_usage").asBoolean()).isTrue();
        assertThat(sent.path("n").asInt()).isEqualTo(1);
        assertThat(request.clientWantsUsage()).isFalse();
    }

    @Test
    void remembersWhetherTheClientAskedForUsage() throws Exception {
        EngineRequest request = prepare("{\"stream\":true,\"stream_options\":{\"include_usage\":true}}", "m", true);

        assertThat(request.clientWantsUsage()).isTrue();
    }

    @Test
    void wholeRequestsGetNoStreamOptions() throws Exception {
        EngineRequest request = prepare("{\"model\":\"x\"}", "m", false);

        assertThat(JSON.readTree(request.body()).has("stream_options")).isFalse();
    }

    @Test
    void identityRoutingAndStorageFieldsNeverReachTheEngine() throws Exception {
        EngineRequest request = prepare("{\"model\":\"x\",\"messages\":[],\"user\":\"alice\",\"safety_identifier\":\"s\","
                + "\"metadata\":{\"email\":\"a@b\"},\"prompt_cache_key\":\"k\",\"store\":true,\"temperature\":0.5,"
                + "\"privacy\":{\"zdr\":true},\"provider\":{\"zdr\":true},\"models\":[\"x\"],"
                + "\"data_policy\":{\"training_allowed\":false},\"providers\":{\"require\":[\"no-training\"]}}", "m", false);

        JsonNode sent = JSON.readTree(request.body());
        java.util.List<String> names = new java.util.ArrayList<>();
        sent.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactlyInAnyOrder("model", "messages", "store", "temperature");
        assertThat(sent.get("store").booleanValue()).isFalse();
    }

    @Test
    void theRequestsOwnPolicyIsCheckedAgainstTheNodeInEveryDialect() throws Exception {
        prepare("{\"messages\":[],\"privacy\":{\"jurisdictions\":[\"eu\"],\"min_mode\":\"e2ee\",\"routes_allow\":[\"node-a\"]}}",
                "m", false);
        for (String[] refused : new String[][] {
                {"\"privacy\":{\"jurisdictions\":[\"US\"]}", "privacy.jurisdictions"},
                {"\"privacy\":{\"routes_deny\":[\"node-a\"]}", "privacy.routes_deny"},
                {"\"provider\":{\"only\":[\"other\"]}", "provider.only"},
                {"\"provider\":{\"max_price\":{\"prompt\":1}}", "provider.max_price"},
                {"\"providers\":{\"exclude\":[\"node-a\"]}", "providers.exclude"},
        }) {
            assertThatThrownBy(() -> prepare("{\"messages\":[]," + refused[0] + "}", "m", false))
                    .isInstanceOfSatisfying(EngineRequest.Refused.class, r -> {
                        assertThat(r.status()).isEqualTo(403);
                        JsonNode error = readTree(r.body()).path("error");
                        assertThat(error.path("type").asText()).isEqualTo("privacy_policy_violation");
                        assertThat(error.path("code").asText()).isEqualTo("no_compliant_route");
                        assertThat(error.path("excluded").get(0).path("constraint").asText()).isEqualTo(refused[1]);
                        assertThat(error.path("excluded").get(0).path("route").asText()).isEqualTo("node-a");
                    });
        }
        // A node with default declarations (no jurisdiction) is excluded by any jurisdiction list.
        PolicyTarget undeclared = NodeSettings.DEFAULT_DECLARATION.target("simulated");
        assertThatThrownBy(() -> EngineRequest.prepare(JSON, bytes("{\"privacy\":{\"jurisdictions\":[\"EU\"]}}"), dev.veil.protocol.api.Endpoint.CHAT_COMPLETIONS, java.util.Set.of("chat"),
                "public", "m", false, undeclared)).isInstanceOfSatisfying(EngineRequest.Refused.class,
                r -> assertThat(r.status()).isEqualTo(403));
    }

    @Test
    void unknownAndMalformedFieldsAreRefusedByName() {
        assertThatThrownBy(() -> prepare("{\"messages\":[],\"top_k\":3}", "m", false))
                .isInstanceOfSatisfying(EngineRequest.Refused.class, r -> {
                    assertThat(r.status()).isEqualTo(400);
                    assertThat(readTree(r.body()).path("error").path("code").asText()).isEqualTo("unknown_parameter");
                    assertThat(readTree(r.body()).path("error").path("param").asText()).isEqualTo("top_k");
                });
        assertThatThrownBy(() -> prepare("{\"messages\":[],\"privacy\":{\"min_mode\":\"secret\"}}", "m", false))
                .isInstanceOfSatisfying(EngineRequest.Refused.class,
                        r -> assertThat(readTree(r.body()).path("error").path("param").asText()).isEqualTo("privacy.min_mode"));
    }

    @Test
    void refusesNonObjectsAndAStreamFlagThatDisagrees() {
        assertThatThrownBy(() -> prepare("[1]", "m", false))
                .isInstanceOfSatisfying(EngineRequest.Refused.class,
                        r -> assertThat(readTree(r.body()).path("error").path("code").asText()).isEqualTo("invalid_json"));
        assertThatThrownBy(() -> prepare("{nope", "m", false)).isInstanceOf(EngineRequest.Refused.class);
        assertThatThrownBy(() -> prepare("{\"stream\":true}", "m", false))
                .isInstanceOfSatisfying(EngineRequest.Refused.class, r -> assertThat(readTree(r.body()).path("error")
                        .path("code").asText()).isEqualTo("e2ee_stream_mismatch"));
        assertThatThrownBy(() -> prepare("{}", "m", true)).isInstanceOf(EngineRequest.Refused.class);
    }

    private static JsonNode readTree(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
