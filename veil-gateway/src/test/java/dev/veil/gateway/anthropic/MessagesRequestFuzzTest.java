package dev.veil.gateway.anthropic;

import dev.veil.protocol.AnthropicErrors;
import dev.veil.protocol.translate.ChatStreamToMessages;
import dev.veil.protocol.translate.MessagesTranslation;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.protocol.api.Endpoint;
import dev.veil.gateway.openai.InferenceRequest;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.gateway.openai.RequestInspector;
import dev.veil.gateway.openai.RequestRewriter;
import dev.veil.protocol.policy.ForwardRules;
import dev.veil.protocol.policy.RequestFields;

/**
 * Fuzz target for a Messages request body: {@link RequestInspector} with the Messages field list, then both ways out
 * (the native rewrite and the chat translation). In {@code ./mvnw verify} it runs the inputs under
 * {@code src/test/resources/dev/veil/gateway/anthropic/MessagesRequestFuzzTestInputs}; {@code .ci/fuzz} fuzzes it.
 *
 * <p>Properties: the inspector accepts or refuses with an {@link InvalidRequestException}, nothing else; an accepted
 * body rewrites to one JSON object without identity or routing fields; it translates to one JSON object with a
 * {@code messages} array and no identity or routing fields, or is refused with an
 * {@link MessagesTranslation.Untranslatable} naming a field.
 */
class MessagesRequestFuzzTest {

    private static final RequestInspector INSPECTOR = new RequestInspector(RequestInspector.strictFactory());
    private static final RequestRewriter REWRITER = new RequestRewriter(RequestInspector.strictFactory());

    @FuzzTest
    void inspectRewriteTranslate(byte[] body) throws Exception {
        InferenceRequest request;
        try {
            request = INSPECTOR.inspect(Endpoint.MESSAGES, body);
        } catch (InvalidRequestException e) {
            assertThat(e.error().httpStatus()).isEqualTo(400);
            return;
        }
        JsonNode rewritten = MessagesTranslation.MAPPER.readTree(REWRITER.rewrite(body, request, "upstream-model",
                ForwardRules.DEFAULT, false));
        assertThat(rewritten.isObject()).isTrue();
        assertThat(rewritten.path("model").asText()).isEqualTo("upstream-model");
        assertThat(rewritten.has("metadata")).isFalse();
        assertThat(rewritten.has("stream_options")).isFalse();
        RequestFields.ROUTING.forEach(field -> assertThat(rewritten.has(field)).isFalse());
        try {
            JsonNode chat = MessagesTranslation.MAPPER.readTree(MessagesTranslation.bytes(MessagesTranslation.request(body)));
            assertThat(chat.path("messages").isArray()).isTrue();
            assertThat(chat.has("metadata")).isFalse();
            RequestFields.ROUTING.forEach(field -> assertThat(chat.has(field)).isFalse());
        } catch (MessagesTranslation.Untranslatable e) {
            assertThat(e.param()).isNotBlank();
        }
    }
}
