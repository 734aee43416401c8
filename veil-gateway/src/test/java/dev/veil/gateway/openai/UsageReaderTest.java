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

    private Usage checked(String json) throws UsageReader.Malformed {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return reader.readChecked(bytes, 0, bytes.length);
    }

    private String refusal(String json) {
        try {
            checked(json);
            return null;
        } catch (UsageReader.Malformed e) {
            return e.getMessage();
        }
    }

    @Test
    void aCheckedReadReturnsTheUsageOfOneWellFormedObject() throws Exception {
        assertThat(checked("{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"hi\"}}],"
                + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n")).isEqualTo(new Usage(5, 2, 7));
        assertThat(checked("{\"id\":\"x\"}")).isNull();
        assertThat(checked(" {\"usage\":{\"prompt_tokens\":2147483647,\"completion_tokens\":2147483647}} "))
                .isEqualTo(new Usage(2147483647L, 2147483647L, 4294967294L));
    }

    @Test
    void aCheckedReadRefusesWhatIsNotOneJsonObject() {
        assertThat(refusal("<html><body>502 Bad Gateway</body></html>")).isNotNull();
        assertThat(refusal("{\"id\":\"x\",\"choices\":[")).isNotNull();
        assertThat(refusal("{\"id\":\"x\"} {\"id\":\"y\"}")).isNotNull();
        assertThat(refusal("{\"id\":\"x\"}trailing")).isNotNull();
        assertThat(refusal("[1,2]")).isNotNull();
        assertThat(refusal("")).isNotNull();
        assertThat(refusal("\u001f\u008b\b\u0000")).as("gzip magic").isNotNull();
        assertThat(refusal("{\"a\":\"\u0000\"}")).as("an unescaped control character").isNotNull();
    }

    @Test
    void usageCountsOutOfRangeAreRefusedNotWrapped() {
        assertThat(refusal("{\"usage\":{\"prompt_tokens\":9000000000000000000,\"completion_tokens\":9000000000000000000}}"))
                .contains("usage");
        assertThat(refusal("{\"usage\":{\"prompt_tokens\":-1,\"completion_tokens\":2}}")).contains("usage");
        assertThat(refusal("{\"usage\":{\"prompt_tokens\":1,\"total_tokens\":99999999999999999999999}}")).contains("usage");
        assertThat(refusal("{\"usage\":{\"prompt_tokens\":2147483648}}")).contains("usage");
        assertThat(read("{\"usage\":{\"prompt_tokens\":9000000000000000000,\"completion_tokens\":9000000000000000000}}"))
                .as("the lenient read used for batch lines ignores them").isNull();
    }
}
