package dev.veil.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.protocol.gatewayauth.GatewaySignature;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;

/**
 * A node's side of joining a gateway (docs/network.md): {@code POST /v1/nodes/join} with the operator's join token;
 * the answer's credential is the secret the gateway signs every call with, and the node accepts nothing else from
 * then on. Leaving is {@code DELETE /v1/nodes/{registration id}} signed with that credential. Blocking (java.net.http), for the
 * node's start and shutdown, never on an event loop.
 */
final class GatewayJoin {

    /** A registration the gateway made: its id and the credential it sends. */
    record Registration(URI gateway, String id, String credential) {
        @Override
        public String toString() {
            return "Registration[" + gateway + " " + id + "]"; // never the credential
        }
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final int MAX_ANSWER = 16 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER).build();

    /**
     * Joins {@code gateway} as {@code name}, reachable at {@code advertisedUrl}, serving {@code models}.
     *
     * @throws IllegalStateException naming what the gateway said (its error message) or what failed
     */
    Registration join(URI gateway, String joinToken, String advertisedUrl, String name, Collection<String> models) {
        ObjectNode body = JSON.createObjectNode();
        body.put("url", advertisedUrl);
        body.put("name", name);
        models.stream().sorted().forEach(body.putArray("models")::add);
        HttpResponse<java.io.InputStream> answer;
        byte[] answerBody;
        try {
            answer = http.send(HttpRequest.newBuilder(gateway.resolve("/v1/nodes/join")).timeout(TIMEOUT)
                    .header("authorization", "Bearer " + joinToken).header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            answerBody = readBounded(answer.body());
        } catch (IOException e) {
            throw new IllegalStateException("the gateway at " + gateway + " could not be reached to join ("
                    + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while joining " + gateway);
        }
        JsonNode json = parse(answerBody);
        if (answer.statusCode() != 201) {
            String message = json.path("error").path("message").asText("");
            throw new IllegalStateException("the gateway refused the join (" + answer.statusCode() + ")"
                    + (message.isEmpty() ? "" : ": " + message));
        }
        String id = json.path("registration_id").asText("");
        String credential = json.path("credential").asText("");
        if (id.isEmpty() || credential.isEmpty()) {
            throw new IllegalStateException("the gateway's join answer has no registration id or credential");
        }
        return new Registration(gateway, id, credential);
    }

    /** Deregisters; false when the gateway could not be told (it then finds the node gone at its next attestation). */
    boolean leave(Registration registration) {
        try {
            // Signed, not sent: the credential never crosses the wire again after the join answer.
            URI uri = registration.gateway().resolve("/v1/nodes/" + registration.id());
            String signature = GatewaySignature.sign(registration.credential().getBytes(
                    java.nio.charset.StandardCharsets.UTF_8), "DELETE", uri.getRawPath(), null, System.currentTimeMillis());
            HttpResponse<java.io.InputStream> answer = http.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                    .header(GatewaySignature.HEADER, signature).DELETE().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            readBounded(answer.body());
            return answer.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * The answer's body, at most {@value #MAX_ANSWER} bytes (one more is read to tell an oversized answer, which then
     * parses as nothing), within {@link #TIMEOUT}: the request timeout covers only the answer's head, and a gateway
     * (or whatever answers at its address) must not hold the node's start or shutdown with an endless or silent body.
     */
    private static byte[] readBounded(java.io.InputStream in) throws IOException, InterruptedException {
        java.util.concurrent.FutureTask<byte[]> reading = new java.util.concurrent.FutureTask<>(
                () -> in.readNBytes(MAX_ANSWER + 1));
        Thread.ofVirtual().name("veil-join-answer").start(reading);
        try {
            return reading.get(TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new java.net.http.HttpTimeoutException("the gateway's answer did not arrive within " + TIMEOUT);
        } finally {
            in.close(); // ends the reading thread when it is still waiting
        }
    }

    private static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0 || body.length > MAX_ANSWER) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = JSON.readTree(body);
            return node == null ? JSON.createObjectNode() : node;
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }
}
