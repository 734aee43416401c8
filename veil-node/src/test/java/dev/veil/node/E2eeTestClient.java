package dev.veil.node;

import dev.veil.protocol.attestation.AttestationPolicy;
import dev.veil.protocol.attestation.AttestationVerifier;
import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.KeyConfig;
import dev.veil.protocol.e2ee.Receipt;
import dev.veil.protocol.e2ee.RequestMeta;
import dev.veil.protocol.e2ee.ResponseOpener;
import dev.veil.protocol.e2ee.SealedRequest;
import dev.veil.protocol.e2ee.SignedReceipt;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The client side of e2ee for the tests, built only from the protocol classes, over real HTTP. */
final class E2eeTestClient {

    static final AttestationPolicy ALLOW_SIMULATED = new AttestationPolicy(Set.of(), Set.of(), true);

    private static final SecureRandom RANDOM = new SecureRandom();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;

    E2eeTestClient(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    /** A clear HTTP answer. */
    record Answer(int status, String contentType, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** A decrypted, verified e2ee answer. */
    record Opened(ResponseOpener.Head head, List<byte[]> chunks, Receipt receipt) {
        String text() {
            StringBuilder b = new StringBuilder();
            chunks.forEach(c -> b.append(new String(c, StandardCharsets.UTF_8)));
            return b.toString();
        }
    }

    /** Attests the node with a fresh nonce and verifies the evidence (simulated allowed). */
    AttestationVerifier.VerifiedNode attest() throws Exception {
        byte[] nonce = new byte[32];
        RANDOM.nextBytes(nonce);
        Answer answer = get("/v1/attestation?nonce=" + E2ee.hex(nonce));
        if (answer.status() != 200) {
            throw new AssertionError("attestation answered " + answer.status() + ": " + answer.text());
        }
        Evidence evidence = Evidence.parse(answer.body());
        return new AttestationVerifier().verify(evidence, nonce, ALLOW_SIMULATED);
    }

    Answer get(String pathAndQuery) throws Exception {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(response.statusCode(), response.headers().firstValue("content-type").orElse(null),
                response.body());
    }

    /** The standard e2ee headers for {@code sealed} encrypted to {@code key}. */
    static Map<String, String> headers(KeyConfig key, RequestMeta meta) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", E2ee.CONTENT_TYPE);
        headers.put(E2ee.HEADER_VERSION, E2ee.VERSION);
        headers.put(E2ee.HEADER_MODEL, meta.model());
        headers.put(E2ee.HEADER_NODE_KEY, key.nodeKeyId());
        headers.put(E2ee.HEADER_STREAM, Boolean.toString(meta.stream()));
        return headers;
    }

    static SealedRequest seal(KeyConfig key, String path, String model, boolean stream, String json) {
        return SealedRequest.seal(key, new RequestMeta(path, model, stream), json.getBytes(StandardCharsets.UTF_8));
    }

    Answer post(String path, Map<String, String> headers, byte[] body) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(builder::header);
        HttpResponse<byte[]> response = http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(response.statusCode(), response.headers().firstValue("content-type").orElse(null),
                response.body());
    }

    /** Sends {@code sealed} with its own headers. */
    Answer send(KeyConfig key, SealedRequest sealed) throws Exception {
        return post(sealed.meta().path(), headers(key, sealed.meta()), sealed.body());
    }

    /**
     * Opens an e2ee answer, fed in small pieces as a network would deliver it, and verifies its receipt with the
     * attested signing key.
     */
    static Opened open(SealedRequest sealed, Answer answer, byte[] signingKey) throws Exception {
        if (answer.status() != 200 || !E2ee.CONTENT_TYPE.equals(answer.contentType())) {
            throw new AssertionError("not an e2ee answer: " + answer.status() + " " + answer.text());
        }
        ResponseOpener opener = sealed.responseOpener();
        ResponseOpener.Head head = null;
        List<byte[]> chunks = new ArrayList<>();
        SignedReceipt receipt = null;
        byte[] body = answer.body();
        for (int at = 0; at < body.length; at += 7) {
            byte[] piece = java.util.Arrays.copyOfRange(body, at, Math.min(body.length, at + 7));
            for (ResponseOpener.Part part : opener.accept(piece)) {
                switch (part) {
                    case ResponseOpener.Head h -> head = h;
                    case ResponseOpener.Chunk c -> {
                        if (c.data().length > 0 || !c.last()) {
                            chunks.add(c.data());
                        }
                    }
                    case ResponseOpener.Receipt r -> receipt = r.signed();
                }
            }
        }
        opener.end();
        if (receipt == null) {
            throw new AssertionError("no receipt");
        }
        return new Opened(head, chunks, opener.verifyReceipt(receipt, signingKey));
    }
}
