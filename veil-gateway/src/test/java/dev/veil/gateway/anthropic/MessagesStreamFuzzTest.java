package dev.veil.gateway.anthropic;

import dev.veil.protocol.sse.SseEvents;
import dev.veil.protocol.AnthropicErrors;
import dev.veil.protocol.translate.ChatStreamToMessages;
import dev.veil.protocol.translate.MessagesTranslation;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzz target for an upstream's stream on {@code /v1/messages}: {@link SseEvents} splitting and
 * {@link ChatStreamToMessages} translating. In {@code ./mvnw verify} it runs the inputs under
 * {@code src/test/resources/dev/veil/gateway/anthropic/MessagesStreamFuzzTestInputs}; {@code .ci/fuzz} fuzzes it.
 *
 * <p>Properties: splitting never throws and finds the same events however the bytes are cut into reads; no event is
 * longer than the limit; translating an event either yields whole {@code event:}/{@code data:} pairs whose data is
 * JSON, or refuses it with {@link MessagesTranslation.MalformedAnswer}.
 */
class MessagesStreamFuzzTest {

    private static final int LIMIT = 512;

    @FuzzTest
    void splitAndTranslate(FuzzedDataProvider data) throws Exception {
        int cut = data.consumeInt(1, 64);
        byte[] stream = data.consumeRemainingAsBytes();
        SseEvents whole = new SseEvents(LIMIT);
        List<SseEvents.Event> expected = whole.acceptParsed(stream);
        SseEvents pieces = new SseEvents(LIMIT);
        List<SseEvents.Event> found = new ArrayList<>();
        for (int at = 0; at < stream.length; at += cut) {
            found.addAll(pieces.acceptParsed(java.util.Arrays.copyOfRange(stream, at, Math.min(stream.length, at + cut))));
        }
        assertThat(pieces.tooLarge()).isEqualTo(whole.tooLarge());
        if (!whole.tooLarge()) {
            assertThat(found).extracting(SseEvents.Event::data).isEqualTo(expected.stream().map(SseEvents.Event::data).toList());
            assertThat(found).extracting(SseEvents.Event::name).isEqualTo(expected.stream().map(SseEvents.Event::name).toList());
        }
        ChatStreamToMessages translation = new ChatStreamToMessages("m", "msg_1");
        StringBuilder out = new StringBuilder();
        for (SseEvents.Event event : found) {
            assertThat(event.raw().length).isLessThanOrEqualTo(LIMIT);
            try {
                out.append(new String(translation.accept(event.data()), StandardCharsets.UTF_8));
            } catch (MessagesTranslation.MalformedAnswer e) {
                // refused: the relay ends the stream with an error event
            }
        }
        out.append(new String(translation.finish(1, 2), StandardCharsets.UTF_8));
        String[] blocks = out.toString().split("\n\n");
        for (String block : blocks) {
            String[] lines = block.split("\n");
            assertThat(lines).hasSize(2);
            assertThat(lines[0]).startsWith("event: ");
            assertThat(lines[1]).startsWith("data: ");
            assertThat(MessagesTranslation.MAPPER.readTree(lines[1].substring(6)).isObject()).isTrue();
        }
    }
}
