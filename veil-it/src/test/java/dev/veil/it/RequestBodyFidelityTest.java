package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What leaves the gateway is what the client sent, and bytes that are not text are refused, over HTTP/1.1 and h2c:
 * numbers and nested values reach the recording upstream as the client wrote them, a {@code models}-only request
 * carries the route's upstream model, and invalid UTF-8 (CESU-8 surrogates, overlong forms) gets a 400 naming the
 * field, not a 500.
 */
@Timeout(60)
class RequestBodyFidelityTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dataDir;
    static GatewayFixture fixture;

    @BeforeAll
    static void start() {
        fixture = GatewayFixture.start(dataDir);
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @BeforeEach
    void reset() {
        fixture.upstream.reset();
    }

    @Test
    void numbersAndNestedValuesReachTheUpstreamAsWritten() throws Exception {
        String members = "\"temperature\":0.30000000000000000000000000001,\"max_tokens\":1e400,"
                + "\"seed\":123456789012345678901234567890,\"response_format\":{ \"k\" : [1.50, -0.0, \"\\ud800\"] }";
        HttpResponse<String> response = fixture.post("/v1/chat/completions",
                "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]," + members + "}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        String upstreamBody = fixture.upstream.lastRequest().body();
        assertThat(upstreamBody).contains(members).startsWith("{\"model\":\"upstream-chat\",");
    }

    @Test
    void aModelsOnlyRequestCarriesTheRoutesUpstreamModel() throws Exception {
        HttpResponse<String> response = fixture.post("/v1/chat/completions",
                "{\"models\":[\"test-chat\"],\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode upstreamBody = fixture.upstream.lastRequest().json();
        assertThat(upstreamBody.path("model").asText()).isEqualTo("upstream-chat");
        assertThat(upstreamBody.has("models")).isFalse();
    }

    @Test
    void invalidUtf8IsA400NamingTheFieldOnEveryInferenceEndpointOverHttp1AndH2c() throws Exception {
        String[][] cases = {
                {"/v1/chat/completions", "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"@\"}]}", "messages"},
                {"/v1/completions", "{\"model\":\"test-chat\",\"prompt\":\"@\"}", "prompt"},
                {"/v1/embeddings", "{\"model\":\"test-embed\",\"input\":[\"@\"]}", "input"},
                {"/v1/chat/completions", "{\"model\":\"test-chat\",\"messages\":[],\"x\":\"@\"}", "x"},
        };
        Vertx vertx = Vertx.vertx();
        HttpClientAgent h2c = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false));
        try {
            for (String badHex : new String[] {"eda080", "edb080eda0bd", "c0af", "e080af", "f08080af", "f4908080"}) {
                for (String[] c : cases) {
                    byte[] body = withBytes(c[1], HexFormat.of().parseHex(badHex));
                    String what = c[0] + " with " + badHex;
                    assertRefused(http1(c[0], body), c[2], what + " over HTTP/1.1");
                    String[] overH2c = h2c(h2c, c[0], body);
                    assertThat(overH2c[2]).isEqualTo(HttpVersion.HTTP_2.name());
                    assertRefused(overH2c, c[2], what + " over h2c");
                }
            }
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
        assertThat(fixture.upstream.requests()).isEmpty();
    }

    private static void assertRefused(String[] statusAndBody, String param, String what) throws Exception {
        assertThat(statusAndBody[0]).as(what + ": " + statusAndBody[1]).isEqualTo("400");
        JsonNode error = JSON.readTree(statusAndBody[1]).path("error");
        assertThat(error.path("code").asText()).as(what).isEqualTo("invalid_utf8");
        assertThat(error.path("param").asText()).as(what).isEqualTo(param);
        assertThat(error.path("type").asText()).as(what).isEqualTo("invalid_request_error");
    }

    private static String[] http1(String path, byte[] body) {
        // HTTP/1.1 explicitly: the JDK client would otherwise upgrade to h2c, and this half would test HTTP/2 again.
        HttpResponse<String> response = fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + path))
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .header("authorization", "Bearer " + fixture.apiKey).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
        assertThat(response.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_1_1);
        return new String[] {String.valueOf(response.statusCode()), response.body()};
    }

    /**
     * One POST over h2c. The body is asked for in the callback of {@code send()}'s own future, not one step further down
     * the chain: Vert.x's client response drops data and end events that arrive before a handler is set, and a further
     * {@code compose} may run that callback only after the answer's HEADERS and DATA (often read together) were handled,
     * so the body never completes (a 10 s timeout, although the gateway's 400 is on the wire).
     */
    private static String[] h2c(HttpClientAgent client, String path, byte[] body) throws Exception {
        return client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                        .setPort(fixture.gateway.port()).setURI(path)
                        .putHeader("authorization", "Bearer " + fixture.apiKey).putHeader("content-type", "application/json"))
                .compose(request -> request.send(Buffer.buffer(body))
                        .compose(response -> response.body().map(b -> new String[] {String.valueOf(response.statusCode()),
                                b.toString(), response.version().name()})))
                .await(10, TimeUnit.SECONDS);
    }

    /** {@code template} with its {@code @} replaced by raw {@code bytes}. */
    private static byte[] withBytes(String template, byte[] bytes) {
        byte[] head = template.substring(0, template.indexOf('@')).getBytes(StandardCharsets.UTF_8);
        byte[] tail = template.substring(template.indexOf('@') + 1).getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[head.length + bytes.length + tail.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(bytes, 0, out, head.length, bytes.length);
        System.arraycopy(tail, 0, out, head.length + bytes.length, tail.length);
        return out;
    }
}
