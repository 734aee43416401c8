package dev.veil.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EngineRequestTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void renamesTheModelAndAsksForUsageInStreams() throws Exception {
        EngineRequest request = EngineRequest.prepare(JSON, bytes("{\"model\":\"public\",\"stream\":true,\"n\":1}"),
                "engine-name", true);

        JsonNode sent = JSON.readTree(request.body());
        assertThat(sent.path("model").asText()).isEqualTo("engine-name");
        assertThat(sent.path("stream_options").path("include_usage").asBoolean()).isTrue();
        assertThat(sent.path("n").asInt()).isEqualTo(1);
        assertThat(request.clientWantsUsage()).isFalse();
    }

    @Test
    void remembersWhetherTheClientAskedForUsage() throws Exception {
        EngineRequest request = EngineRequest.prepare(JSON,
                bytes("{\"stream\":true,\"stream_options\":{\"include_usage\":true}}"), "m", true);

        assertThat(request.clientWantsUsage()).isTrue();
    }

    @Test
    void wholeRequestsGetNoStreamOptions() throws Exception {
        EngineRequest request = EngineRequest.prepare(JSON, bytes("{\"model\":\"x\"}"), "m", false);

        assertThat(JSON.readTree(request.body()).has("stream_options")).isFalse();
    }

    @Test
    void refusesNonObjectsAndAStreamFlagThatDisagrees() {
        assertThatThrownBy(() -> EngineRequest.prepare(JSON, bytes("[1]"), "m", false))
                .isInstanceOfSatisfying(EngineRequest.Refused.class,
                        r -> assertThat(r.error().code()).isEqualTo("invalid_json"));
        assertThatThrownBy(() -> EngineRequest.prepare(JSON, bytes("{nope"), "m", false))
                .isInstanceOf(EngineRequest.Refused.class);
        assertThatThrownBy(() -> EngineRequest.prepare(JSON, bytes("{\"stream\":true}"), "m", false))
                .isInstanceOfSatisfying(EngineRequest.Refused.class,
                        r -> assertThat(r.error().code()).isEqualTo("e2ee_stream_mismatch"));
        assertThatThrownBy(() -> EngineRequest.prepare(JSON, bytes("{}"), "m", true))
                .isInstanceOf(EngineRequest.Refused.class);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
