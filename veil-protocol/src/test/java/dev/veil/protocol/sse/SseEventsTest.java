package dev.veil.protocol.sse;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseEventsTest {

    @Test
    void cutsEventsOnLfAndCrlfBlankLines() {
        SseEvents events = new SseEvents(1 << 20);

        List<String> out = texts(events.accept(bytes("data: a\n\ndata: b\r\n\r\ndata: c\n\r\n")));

        assertThat(out).containsExactly("data: a\n\n", "data: b\r\n\r\n", "data: c\n\r\n");
        assertThat(events.rest()).isEmpty();
    }

    @Test
    void anEventSplitAcrossReadsIsReturnedWhole() {
        SseEvents events = new SseEvents(1 << 20);
        String stream = "data: {\"x\":1}\r\n\r\ndata: {\"y\":2}\n\ndata: [DONE]\n\n";
        // Every possible split point, including inside each boundary.
        for (int split = 1; split < stream.length(); split++) {
            List<String> out = new ArrayList<>(texts(events.accept(bytes(stream.substring(0, split)))));
            out.addAll(texts(events.accept(bytes(stream.substring(split)))));
            assertThat(out).as("split at %d", split)
                    .containsExactly("data: {\"x\":1}\r\n\r\n", "data: {\"y\":2}\n\n", "data: [DONE]\n\n");
            assertThat(events.rest()).isEmpty();
        }
    }

    @Test
    void byteByByteStillYieldsWholeEvents() {
        SseEvents events = new SseEvents(1 << 20);
        List<String> out = new ArrayList<>();
        for (byte b : bytes("data: one\r\n\r\ndata: two\n\n")) {
            out.addAll(texts(events.accept(new byte[]{b})));
        }
        assertThat(out).containsExactly("data: one\r\n\r\n", "data: two\n\n");
    }

    @Test
    void anUnfinishedEventIsLeftAsRest() {
        SseEvents events = new SseEvents(1 << 20);

        assertThat(events.accept(bytes("data: a\n\ndata: partial"))).hasSize(1);

        assertThat(new String(events.rest(), StandardCharsets.UTF_8)).isEqualTo("data: partial");
    }

    @Test
    void parsesNamesAndDataAcrossChunksAndLineEndingsWithinItsLimit() {
        SseEvents sse = new SseEvents(64);
        List<SseEvents.Event> events = new ArrayList<>();
        for (String piece : List.of("event: a\nda", "ta: 1\n", "\n: comment\n\nevent: b\r\ndata: x\r\ndata: y\r\n\r\n",
                "data: z\r\rdata: partial")) {
            events.addAll(sse.acceptParsed(bytes(piece)));
        }
        assertThat(events).extracting(SseEvents.Event::name).containsExactly("a", "b", null);
        assertThat(events).extracting(SseEvents.Event::data).containsExactly("1", "x\ny", "z");
        assertThat(sse.partial()).isTrue();
        SseEvents small = new SseEvents(16);
        assertThat(small.accept(bytes("data: " + "x".repeat(40)))).isEmpty();
        assertThat(small.tooLarge()).isTrue();
    }

    @Test
    void anEventEndingOnACrAtTheEndOfAReadKeepsTheLfThatFollows() {
        SseEvents events = new SseEvents(1 << 20);
        assertThat(events.accept(bytes("data: a\r\n\r"))).isEmpty();
        assertThat(texts(events.accept(bytes("\ndata: b\r\r")))).containsExactly("data: a\r\n\r\n");
        assertThat(texts(events.accept(bytes("data: c\n\n")))).containsExactly("data: b\r\r", "data: c\n\n");
        assertThat(events.partial()).isFalse();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> texts(List<byte[]> events) {
        return events.stream().map(e -> new String(e, StandardCharsets.UTF_8)).toList();
    }
}
