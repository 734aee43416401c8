package dev.veil.gateway.openai;

import dev.veil.protocol.api.Endpoint;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Fuzz target for request inspection and rewriting, the parsers every inference request and batch line meets. In
 * {@code ./mvnw verify} it runs the inputs under {@code src/test/resources/dev/veil/gateway/openai/RequestFuzzTestInputs};
 * {@code .ci/fuzz} fuzzes it (docs/fuzzing.md).
 *
 * <p>Properties: the inspector refuses bad input only with {@link InvalidRequestException} (never another exception,
 * which would be a 500); whatever it accepts, the rewriter turns into one valid JSON object whose {@code model} is the
 * upstream model and which carries no routing or identity field.
 */
class RequestFuzzTest {

    private static final RequestInspector INSPECTOR = new RequestInspector(RequestInspector.strictFactory());
    private static final RequestRewriter REWRITER = new RequestRewriter(RequestInspector.strictFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    @FuzzTest
    void inspectAndRewrite(byte[] body) throws Exception {
        if (body.length == 0) {
            return;
        }
        // The first byte picks the endpoint, so one corpus covers all three.
        Endpoint endpoint = Endpoint.ALL.get((body[0] & 0xff) % Endpoint.ALL.size());
        byte[] json = java.util.Arrays.copyOfRange(body, 1, body.length);
        InferenceRequest request;
        try {
            request = INSPECTOR.inspect(endpoint, json);
        } catch (InvalidRequestException refused) {
            assertThat(refused.error().httpStatus()).isEqualTo(400);
            return;
        }
        for (boolean askForUsage : new boolean[] {true, false}) {
            byte[] upstream = REWRITER.rewrite(json, request, "upstream-\u00e9\"model",
                    dev.veil.protocol.policy.ForwardRules.DEFAULT, askForUsage);
            JsonNode out = JSON.readTree(upstream);
            assertThat(out.isObject()).isTrue();
            assertThat(out.path("model").asText()).isEqualTo("upstream-\u00e9\"model");
            for (String dropped : new String[] {"user", "safety_identifier", "metadata", "prompt_cache_key", "privacy", "provider", "models", "data_policy", "providers"}) {
                assertThat(out.has(dropped)).as(dropped).isFalse();
            }
            if (out.has("store")) {
                assertThat(out.get("store").isBoolean() && !out.get("store").booleanValue()).as("store").isTrue();
            }
            if (askForUsage && request.stream()) {
                assertThat(out.path("stream_options").path("include_usage").asBoolean()).isTrue();
            }
            assertThat(StrictUtf8.firstInvalid(upstream)).isEqualTo(-1);
        }
    }
}
