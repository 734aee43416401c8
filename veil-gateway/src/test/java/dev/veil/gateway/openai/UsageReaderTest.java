package dev.veil.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class UsageReaderTest {

    private final UsageReader reader = new UsageReader(RequestInspector.strictFactory());

    private Usage read(String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return reader.read(bytes, 0, bytes.length);
    }

    @Test
    void findsTopLevelUsageWhereverItIs() {
        assertThat(read("{\"id\":\"x\",\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}"))
                .isEqualTo(new Usage(5, 2, 7));
        assertThat(read("{\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2},\"id\":\"x\",\"n\":[1,2]}\n"))
                .isEqualTo(new Usage(5, 2, 7));
        assertThat(read("{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1},\"system_fingerprint\":null}"))
                .isEqualTo(new Usage(1, 0, 1));
    }

    @Test
    void aNestedUsageKeyIsNotTakenForTheTopLevelOne() {
        assertThat(read("{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4},\"choices\":[{\"meta\":{\"usage\":"
                + "{\"prompt_tokens\":99,\"completion_tokens\":99}}}]}")).isEqualTo(new Usage(3, 4, 7));
        assertThat(read("{\"choices\":[{\"meta\":{\"usage\":{\"prompt_tokens\":99}}}]}")).isNull();
        assertThat(read("{\"content\":\"the \\\"usage\\\" word\"}")).isNull();
        assertThat(read("not json")).isNull();
    }
}
