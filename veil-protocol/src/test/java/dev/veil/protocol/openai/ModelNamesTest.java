package dev.veil.protocol.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ModelNamesTest {

    private static final byte[] PUBLIC = ModelNames.quoted("acme/chat \"v2\"");

    private static String replace(String json) {
        return new String(ModelNames.replace(json.getBytes(StandardCharsets.UTF_8), PUBLIC), StandardCharsets.UTF_8);
    }

    @Test
    void replacesOnlyTheTopLevelModelValueAndKeepsEveryOtherByte() {
        assertThat(replace("{\"id\":\"c1\", \"model\" : \"gpt-4o-mini-2024-07-18\",\"n\":1e400,\"x\":\"\\u00e9\"}"))
                .isEqualTo("{\"id\":\"c1\", \"model\" : \"acme/chat \\\"v2\\\"\",\"n\":1e400,\"x\":\"\\u00e9\"}");
        // A nested model (a tool's argument, a message) is content, not the answer's model.
        assertThat(replace("{\"choices\":[{\"model\":\"inner\"}],\"model\":\"outer\"}"))
                .isEqualTo("{\"choices\":[{\"model\":\"inner\"}],\"model\":\"acme/chat \\\"v2\\\"\"}");
        assertThat(replace("{\"model\":\"m\\\"with\\\\escapes\"}")).isEqualTo("{\"model\":\"acme/chat \\\"v2\\\"\"}");
    }

    @Test
    void leavesAnswersWithoutAStringModelAlone() {
        for (String json : new String[] {"{\"id\":1}", "{\"model\":null}", "{\"model\":{\"a\":\"b\"}}", "[1,2]", "not json",
                "{\"model\":\"unterminated", ""}) {
            assertThat(replace(json)).as(json).isEqualTo(json);
        }
    }

    @Test
    void worksOnASliceOfALargerArray() {
        byte[] framed = "data: {\"model\":\"up\",\"k\":2}\n\n".getBytes(StandardCharsets.UTF_8);
        int from = 6;
        int to = framed.length - 2;
        assertThat(new String(ModelNames.replace(framed, from, to, ModelNames.quoted("pub")), StandardCharsets.UTF_8))
                .isEqualTo("{\"model\":\"pub\",\"k\":2}");
        assertThat(new String(ModelNames.replace(framed, from, to - 2, ModelNames.quoted("pub")), StandardCharsets.UTF_8))
                .as("a cut-off object still has its model replaced; the rest is copied as it is")
                .isEqualTo("{\"model\":\"pub\",\"k\":");
    }

    @Test
    void replacesTheModelOfAResponsesEventsResponseObjectOnly() {
        byte[] framed = ("event: response.completed\ndata: {\"type\":\"response.completed\",\"model\":\"top\","
                + "\"response\":{\"output\":[{\"model\":\"inner\"}],\"model\":\"upstream-chat\"},\"n\":1}\n\n")
                .getBytes(StandardCharsets.UTF_8);
        int from = framed.length - 2 - ("{\"type\":\"response.completed\",\"model\":\"top\",\"response\":{\"output\":"
                + "[{\"model\":\"inner\"}],\"model\":\"upstream-chat\"},\"n\":1}").length();
        byte[] out = ModelNames.replaceInOrNull(framed, from, framed.length - 2, "response", ModelNames.quoted("pub"));
        assertThat(new String(out, StandardCharsets.UTF_8)).isEqualTo("{\"type\":\"response.completed\",\"model\":"
                + "\"top\",\"response\":{\"output\":[{\"model\":\"inner\"}],\"model\":\"pub\"},\"n\":1}");
        byte[] delta = "{\"type\":\"response.output_text.delta\",\"delta\":\"model\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(ModelNames.replaceInOrNull(delta, 0, delta.length, "response", ModelNames.quoted("pub"))).isNull();
    }
}
