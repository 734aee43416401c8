package dev.veil.gateway.openai;

import dev.veil.protocol.api.Endpoint;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.protocol.policy.ForwardRules;
import java.util.Set;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The upstream body byte for byte: what Veil changes, and that everything else is the client's own text. */
class RequestRewriterTest {

    private final RequestInspector inspector = new RequestInspector(RequestInspector.strictFactory());
    private final RequestRewriter rewriter = new RequestRewriter(RequestInspector.strictFactory());

    /** A route whose operator allows the engine's own {@code vendor} parameter. */
    private static final ForwardRules VENDOR = new ForwardRules(Set.of("vendor"), false);
    private final RequestInspector allowingVendor = new RequestInspector(RequestInspector.strictFactory(), Set.of("vendor"));

    private String rewrite(String body, String upstreamModel) throws InvalidRequestException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String out = new String(rewriter.rewrite(bytes, allowingVendor.inspect(Endpoint.CHAT_COMPLETIONS, bytes),
                upstreamModel, VENDOR, true), StandardCharsets.UTF_8);
        assertThat(validJson(out)).as(out).isTrue();
        return out;
    }

    @Test
    void numbersAndOperatorAllowedFieldsPassTokenForToken() throws Exception {
        String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"caf\u00e9 \\u00e9 \\ud800 \\\"q\\\"\"}],"
                + "\"temperature\":0.30000000000000000000000000001,\"max_tokens\":1e400,\"seed\":123456789012345678901234567890,"
                + "\"top_p\":-0.0,\"logit_bias\":{\"50256\":-1E+2},\"vendor\":{ \"a\" : [ 1.50 , 2e-0 ],\"b\":null }}";
        assertThat(rewrite(body, "up")).isEqualTo("{\"model\":\"up\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"caf\u00e9 \\u00e9 \\ud800 \\\"q\\\"\"}],"
                + "\"temperature\":0.30000000000000000000000000001,\"max_tokens\":1e400,\"seed\":123456789012345678901234567890,"
                + "\"top_p\":-0.0,\"logit_bias\":{\"50256\":-1E+2},\"vendor\":{ \"a\" : [ 1.50 , 2e-0 ],\"b\":null }}");
    }

    @Test
    void dropsIdentityAndRoutingFieldsWhereverTheyStandAndKeepsWhitespaceInsideValues() throws Exception {
        String body = "{ \"user\" : \"alice\" ,\n \"model\" : \"m\" , \"messages\" : [ ] ,\"privacy\":{\"zdr\":true},"
                + "\"n\":2,\"safety_identifier\":\"s\",\"models\":[\"m\"] }";
        assertThat(rewrite(body, "up")).isEqualTo("{\"model\":\"up\",\"messages\" : [ ],\"n\":2}");
    }

    @Test
    void storeIsForcedFalseAndIdentityFieldsGoOnlyWhereTheOperatorAllowsThem() throws Exception {
        String body = "{\"model\":\"m\",\"messages\":[],\"store\" : true,\"metadata\":{\"email\":\"a@b\"},"
                + "\"prompt_cache_key\":\"k\",\"user\":\"u\",\"safety_identifier\":\"s\",\"n\":1}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        InferenceRequest request = inspector.inspect(Endpoint.CHAT_COMPLETIONS, bytes);
        assertThat(new String(rewriter.rewrite(bytes, request, "up", ForwardRules.DEFAULT, true), StandardCharsets.UTF_8))
                .isEqualTo("{\"model\":\"up\",\"messages\":[],\"store\":false,\"n\":1}");
        ForwardRules metadataAllowed = new ForwardRules(Set.of("metadata", "user"), false);
        assertThat(new String(rewriter.rewrite(bytes, request, "up", metadataAllowed, true), StandardCharsets.UTF_8))
                .isEqualTo("{\"model\":\"up\",\"messages\":[],\"store\":false,\"metadata\":{\"email\":\"a@b\"},"
                        + "\"user\":\"u\",\"n\":1}");
    }

    @Test
    void aFieldOnlyAnotherRouteAllowsIsLeftOutHere() throws Exception {
        String body = "{\"model\":\"m\",\"messages\":[],\"vendor\":1}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        assertThat(new String(rewriter.rewrite(bytes, allowingVendor.inspect(Endpoint.CHAT_COMPLETIONS, bytes), "up",
                ForwardRules.DEFAULT, true), StandardCharsets.UTF_8)).isEqualTo("{\"model\":\"up\",\"messages\":[]}");
    }

    @Test
    void streamsAskForUsageKeepingTheClientsOtherStreamOptions() throws Exception {
        assertThat(rewrite("{\"model\":\"m\",\"messages\":[],\"stream\":true,\"stream_options\":{\"include_usage\":false,"
                + " \"x\" : 1.0e1 },\"n\":1}", "up"))
                .isEqualTo("{\"model\":\"up\",\"messages\":[],\"stream\":true,\"stream_options\":{\"x\" : 1.0e1,"
                        + "\"include_usage\":true},\"n\":1}");
        assertThat(rewrite("{\"model\":\"m\",\"messages\":[],\"stream\":true,\"stream_options\":null}", "up"))
                .isEqualTo("{\"model\":\"up\",\"messages\":[],\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        assertThat(rewrite("{\"model\":\"m\",\"messages\":[],\"stream\":true}", "up"))
                .isEqualTo("{\"model\":\"up\",\"messages\":[],\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    }

    @Test
    void aNodeGetsTheClientsStreamOptionsUnchanged() throws Exception {
        String body = "{\"model\":\"m\",\"messages\":[],\"stream\":true,\"stream_options\":{\"include_usage\":false}}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        assertThat(new String(rewriter.rewrite(bytes, inspector.inspect(Endpoint.CHAT_COMPLETIONS, bytes), "m",
                ForwardRules.DEFAULT, false),
                StandardCharsets.UTF_8)).isEqualTo(body);
    }

    @Test
    void aModelsOnlyRequestGetsTheRoutesUpstreamModel() throws Exception {
        // OpenRouter's form: no "model", the candidates in "models"; each candidate route's own name goes upstream.
        String body = "{\"models\":[\"a\",\"b\"],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
        assertThat(rewrite(body, "upstream-a")).isEqualTo("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"model\":\"upstream-a\"}");
        assertThat(rewrite(body, "upstream-\"b\"")).contains("\"model\":\"upstream-\\\"b\\\"\"");
    }

    private static boolean validJson(String text) {
        try {
            new ObjectMapper().readTree(text);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
