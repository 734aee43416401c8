package dev.veil.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.openai.RequestInspector;
import dev.veil.gateway.openai.Usage;
import dev.veil.gateway.openai.UsageReader;
import dev.veil.tokens.CompletionCounter;
import dev.veil.tokens.Tokenizer;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SseUsageFilterTest {

    private static final String CHUNK1 = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}],\"usage\":null}\n\n";
    private static final String CHUNK2 = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}],\"usage\":null}\n\n";
    private static final String USAGE = "data: {\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":2,\"total_tokens\":13}}\n\n";
    private static final String DONE = "data: [DONE]\n\n";
    private static final String STREAM = CHUNK1 + CHUNK2 + USAGE + DONE;

    private static SseUsageFilter filter(boolean forwardUsage) {
        return new SseUsageFilter(new UsageReader(RequestInspector.strictFactory()), forwardUsage);
    }

    @Test
    void eventsPassOneToOneAndUsageIsRecorded() {
        SseUsageFilter filter = filter(true);
        List<String> out = new ArrayList<>();
        for (String event : List.of(CHUNK1, CHUNK2, USAGE, DONE)) {
            out.add(filter.accept(Buffer.buffer(event)).toString());
        }
        assertThat(out).containsExactly(CHUNK1, CHUNK2, USAGE, DONE);
        assertThat(filter.usage()).isEqualTo(new Usage(11, 2, 13));
        assertThat(filter.sawDone()).isTrue();
        assertThat(filter.dataEvents()).isEqualTo(2);
    }

    private static SseUsageFilter counting(boolean forwardUsage) {
        return new SseUsageFilter(new UsageReader(RequestInspector.strictFactory()), forwardUsage,
                SseUsageFilter.DEFAULT_MAX_EVENT_BYTES,
                new CompletionCounter(RequestInspector.strictFactory(), Tokenizer.named("o200k_base").orElseThrow()));
    }

    @Test
    void withoutUsageTheTextIsCountedAndDoneIsHeldBackForTheClientsUsageChunk() {
        SseUsageFilter filter = counting(true);
        String out = filter.accept(Buffer.buffer(CHUNK1 + CHUNK2 + DONE)).toString();
        assertThat(out).as("[DONE] waits for Veil's usage chunk").isEqualTo(CHUNK1 + CHUNK2);
        assertThat(filter.heldDone()).isTrue();
        assertThat(filter.sawDone()).isTrue();
        assertThat(filter.usage()).isNull();
        assertThat(filter.completion().tokens()).isEqualTo(1); // "Hello"
    }

    @Test
    void doneIsNotHeldWhenTheClientDidNotAskForUsage() {
        SseUsageFilter filter = counting(false);
        assertThat(filter.accept(Buffer.buffer(CHUNK1 + CHUNK2 + DONE)).toString()).isEqualTo(CHUNK1 + CHUNK2 + DONE);
        assertThat(filter.heldDone()).isFalse();
        assertThat(filter.completion().tokens()).isEqualTo(1);
    }

    @Test
    void withTheUpstreamsUsageDoneFlowsAndCountingStops() {
        SseUsageFilter filter = counting(true);
        assertThat(filter.accept(Buffer.buffer(STREAM)).toString()).isEqualTo(STREAM);
        assertThat(filter.heldDone()).isFalse();
        assertThat(filter.usage()).isEqualTo(new Usage(11, 2, 13));
    }

    @Test
    void usageChunkIsDroppedWhenTheClientDidNotAskForIt() {
        SseUsageFilter filter = filter(false);
        String out = filter.accept(Buffer.buffer(STREAM)).toString();
        assertThat(out).isEqualTo(CHUNK1 + CHUNK2 + DONE);
        assertThat(filter.usage()).isEqualTo(new Usage(11, 2, 13));
    }

    @Test
    void contentMentioningUsageIsNotMistakenForTheUsageChunk() {
        String tricky = "data: {\"choices\":[{\"delta\":{\"content\":\"the \\\"usage\\\": field\"}}]}\n\n";
        SseUsageFilter filter = filter(false);
        assertThat(filter.accept(Buffer.buffer(tricky)).toString()).isEqualTo(tricky);
        assertThat(filter.usage()).isNull();
    }

    @Test
    void incompleteEventWaitsForItsRestAndNothingElseWaits() {
        SseUsageFilter filter = filter(false);
        assertThat(filter.accept(Buffer.buffer(CHUNK1 + CHUNK2.substring(0, 10))).toString()).isEqualTo(CHUNK1);
        assertThat(filter.accept(Buffer.buffer(CHUNK2.substring(10))).toString()).isEqualTo(CHUNK2);
    }

    @Test
    void crlfBoundariesAreUnderstood() {
        String crlf = STREAM.replace("\n", "\r\n");
        SseUsageFilter filter = filter(false);
        String out = filter.accept(Buffer.buffer(crlf)).toString();
        assertThat(out).doesNotContain("prompt_tokens");
        assertThat(filter.usage()).isEqualTo(new Usage(11, 2, 13));
        assertThat(filter.sawDone()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 1234})
    void anySplitOfTheStreamGivesTheSameOutput(long seed) {
        Random random = new Random(seed);
        for (boolean forwardUsage : new boolean[] {true, false}) {
            SseUsageFilter filter = filter(forwardUsage);
            StringBuilder out = new StringBuilder();
            int at = 0;
            while (at < STREAM.length()) {
                int next = Math.min(STREAM.length(), at + 1 + random.nextInt(40));
                out.append(filter.accept(Buffer.buffer(STREAM.substring(at, next))));
                at = next;
            }
            out.append(filter.finish());
            assertThat(out.toString()).as("seed %d", seed).isEqualTo(forwardUsage ? STREAM : CHUNK1 + CHUNK2 + DONE);
            assertThat(filter.usage()).isEqualTo(new Usage(11, 2, 13));
        }
    }

    @Test
    void truncatedStreamReportsNoDoneAndCountsEvents() {
        SseUsageFilter filter = filter(false);
        filter.accept(Buffer.buffer(CHUNK1 + CHUNK2 + "data: {\"cho"));
        assertThat(filter.finish().toString()).isEqualTo("data: {\"cho");
        assertThat(filter.sawDone()).isFalse();
        assertThat(filter.usage()).isNull();
        assertThat(filter.dataEvents()).isEqualTo(2);
    }

    @Test
    void everySplitPointGivesTheSameOutputWithLfAndCrlf() {
        for (String stream : List.of(STREAM, STREAM.replace("\n", "\r\n"))) {
            byte[] bytes = stream.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            for (int a = 0; a <= bytes.length; a++) {
                for (int b = a; b <= bytes.length; b += 7) {
                    SseUsageFilter filter = filter(true);
                    Buffer out = Buffer.buffer();
                    out.appendBuffer(filter.accept(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, 0, a))));
                    out.appendBuffer(filter.accept(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, a, b))));
                    out.appendBuffer(filter.accept(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, b, bytes.length))));
                    out.appendBuffer(filter.finish());
                    assertThat(out.toString()).as("split at %d and %d", a, b).isEqualTo(stream);
                    assertThat(filter.usage()).isEqualTo(new Usage(11, 2, 13));
                    assertThat(filter.sawDone()).isTrue();
                }
            }
        }
    }

    @Test
    void aLargeEventInManySmallChunksIsScannedOnceAndPassedWhole() {
        String big = "data: {\"choices\":[{\"delta\":{\"content\":\"" + "x".repeat(4 << 20) + "\"}}]}\n\n";
        byte[] bytes = (big + CHUNK1 + DONE).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        SseUsageFilter filter = new SseUsageFilter(new UsageReader(RequestInspector.strictFactory()), false, 8 << 20);
        Buffer out = Buffer.buffer();
        for (int at = 0; at < bytes.length; at += 1_024) {
            out.appendBuffer(filter.accept(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, at, Math.min(bytes.length, at + 1_024)))));
        }
        out.appendBuffer(filter.finish());
        assertThat(out.length()).isEqualTo(bytes.length);
        assertThat(filter.sawDone()).isTrue();
        assertThat(filter.dataEvents()).isEqualTo(2);
        // Re-scanning the pending event from its start on every chunk (the old behaviour) looks at ~8 GB here.
        assertThat(filter.bytesScanned()).isLessThan(2L * bytes.length);
    }

    @Test
    void anEventOverTheCapStopsTheFilterAndKeepsNothing() {
        SseUsageFilter filter = new SseUsageFilter(new UsageReader(RequestInspector.strictFactory()), false, 4_096);
        assertThat(filter.accept(Buffer.buffer(CHUNK1)).toString()).isEqualTo(CHUNK1);
        String endless = "data: {\"choices\":[{\"delta\":{\"content\":\"" + "y".repeat(1_000);
        assertThat(filter.accept(Buffer.buffer(endless)).length()).isZero();
        assertThat(filter.tooLarge()).isFalse();
        for (int i = 0; i < 3; i++) {
            filter.accept(Buffer.buffer("z".repeat(1_000)));
        }
        assertThat(filter.tooLarge()).isFalse();
        assertThat(filter.accept(Buffer.buffer("z".repeat(1_000))).length()).isZero();
        assertThat(filter.tooLarge()).isTrue();
        assertThat(filter.accept(Buffer.buffer(CHUNK2)).length()).as("nothing more is accepted").isZero();
        assertThat(filter.finish().length()).isZero();
    }

    @Test
    void anEventJustUnderTheCapPasses() {
        String event = "data: {\"choices\":[{\"delta\":{\"content\":\"" + "w".repeat(3_000) + "\"}}]}\n\n";
        SseUsageFilter filter = new SseUsageFilter(new UsageReader(RequestInspector.strictFactory()), false, event.length());
        assertThat(filter.accept(Buffer.buffer(event.substring(0, 100))).length()).isZero();
        assertThat(filter.accept(Buffer.buffer(event.substring(100))).toString()).isEqualTo(event);
        assertThat(filter.tooLarge()).isFalse();
    }

    @Test
    void usageCountsOutOfRangeAreNotRecorded() {
        String overflow = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9000000000000000000,"
                + "\"completion_tokens\":9000000000000000000}}\n\n";
        SseUsageFilter filter = filter(true);
        filter.accept(Buffer.buffer(CHUNK1 + overflow + DONE));
        assertThat(filter.usage()).isNull();
    }

    private static final String CREATED = "event: response.created\ndata: {\"type\":\"response.created\","
            + "\"sequence_number\":0,\"response\":{\"model\":\"up\",\"error\":null,\"usage\":null}}\n\n";
    private static final String DELTA = "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
            + "\"sequence_number\":1,\"delta\":\"Hi \\\"response.completed\\\" there\"}\n\n";
    private static final String FUTURE = "event: response.future\ndata: {\"type\":\"response.future\",\"sequence_number\":2}\n\n";
    private static final String COMPLETED = "event: response.completed\ndata: {\"type\":\"response.completed\","
            + "\"sequence_number\":3,\"response\":{\"model\":\"up\",\"error\":null,\"usage\":{\"input_tokens\":7,"
            + "\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":4,\"total_tokens\":11}}}\n\n";

    private static SseUsageFilter typed() {
        return new SseUsageFilter(new UsageReader(RequestInspector.strictFactory()), false, 1 << 20, null,
                dev.veil.protocol.api.Endpoint.RESPONSES.streaming(), dev.veil.protocol.api.Endpoint.RESPONSES.usage());
    }

    @Test
    void typedEventsPassAsTheyAreAndTheTerminalEventCarriesTheUsage() {
        SseUsageFilter f = typed();
        StringBuilder out = new StringBuilder();
        String all = CREATED + DELTA + FUTURE + COMPLETED;
        // Cut at every third byte: events wait for their rest, nothing else waits.
        for (int i = 0; i < all.length(); i += 3) {
            out.append(f.accept(Buffer.buffer(all.substring(i, Math.min(all.length(), i + 3)))));
        }
        assertThat(out.toString()).isEqualTo(all);
        assertThat(f.sawDone()).isTrue();
        assertThat(f.usage()).isEqualTo(new Usage(7, 4, 11));
        assertThat(f.dataEvents()).isEqualTo(4);
        assertThat(f.heldDone()).isFalse();
    }

    @Test
    void aTypedStreamWithoutItsTerminalEventHasNotEndedEvenIfTextNamesIt() {
        SseUsageFilter f = typed();
        f.accept(Buffer.buffer(CREATED + DELTA + FUTURE));
        assertThat(f.sawDone()).as("a delta that mentions response.completed is content").isFalse();
        assertThat(f.usage()).isNull();
        SseUsageFilter chat = filter(false);
        chat.accept(Buffer.buffer(COMPLETED));
        assertThat(chat.sawDone()).as("a chat stream ends only with [DONE]").isFalse();
    }

    @Test
    void aTypedStreamIsRenamedInItsResponseObjects() {
        SseUsageFilter f = typed().renaming(dev.veil.protocol.openai.ModelNames.quoted("public"));
        String out = f.accept(Buffer.buffer(CREATED + DELTA + COMPLETED)).toString();
        assertThat(out).doesNotContain("\"model\":\"up\"").contains("\"model\":\"public\"");
        assertThat(out).contains(DELTA);
    }
}
