package dev.veil.gateway.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.veil.gateway.nodes.NodeRegistry;
import dev.veil.protocol.api.Endpoint;
import dev.veil.gateway.openai.InferenceRequest;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.gateway.transparency.LogEntries;
import dev.veil.gateway.transparency.TransparencyLog;
import dev.veil.protocol.attestation.AttestationVerifier.VerifiedNode;
import dev.veil.protocol.policy.Exclusion;
import dev.veil.gateway.policy.RoutePlan;
import dev.veil.gateway.routing.Model;
import dev.veil.gateway.routing.Route;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.transparency.MerkleHash;
import dev.veil.protocol.transparency.SignedTreeHead;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** The gateway's share of e2ee: reading the clear envelope of an e2ee request, and gathering node evidence. */
final class E2eeRequests {

    /** The clear routing headers of an e2ee request. */
    record Envelope(String model, String nodeKeyId, boolean stream) {
    }

    private static final JsonFactory JSON = new JsonFactory();

    private final NodeRegistry nodes;
    private final TransparencyLog transparency;

    E2eeRequests(NodeRegistry nodes, TransparencyLog transparency) {
        this.nodes = nodes;
        this.transparency = transparency;
    }

    /** Reads and checks the clear headers, naming the bad one. */
    static Envelope envelope(HttpServerRequest request, Endpoint endpoint) throws InvalidRequestException {
        String version = request.getHeader(E2ee.HEADER_VERSION);
        if (!E2ee.VERSION.equals(version)) {
            throw e2ee(400, "This gateway speaks Veil e2ee v1: send the header Veil-E2EE: v1.", E2ee.HEADER_VERSION,
                    "e2ee_unsupported");
        }
        String model = request.getHeader(E2ee.HEADER_MODEL);
        if (model == null || model.isBlank() || model.length() > InferenceRequest.MAX_MODEL_ID_LENGTH) {
            throw e2ee(400, "An e2ee request names its model in the Veil-Model header.", E2ee.HEADER_MODEL, "e2ee_malformed");
        }
        String nodeKey = request.getHeader(E2ee.HEADER_NODE_KEY);
        if (nodeKey == null || !nodeKey.matches("[0-9a-f]{32}")) {
            throw e2ee(400, "An e2ee request names its node key in Veil-Node-Key (32 lower-case hex characters).",
                    E2ee.HEADER_NODE_KEY, "e2ee_malformed");
        }
        String stream = request.getHeader(E2ee.HEADER_STREAM);
        if (!"true".equals(stream) && !"false".equals(stream)) {
            throw e2ee(400, "An e2ee request says in Veil-Stream whether it streams: true or false.", E2ee.HEADER_STREAM,
                    "e2ee_malformed");
        }
        if ("true".equals(stream) && !endpoint.streamable()) {
            throw e2ee(400, "This endpoint does not stream.", E2ee.HEADER_STREAM, "e2ee_malformed");
        }
        return new Envelope(model, nodeKey, "true".equals(stream));
    }

    /** Whether a plan failed only because no node holds the request's key (the client should re-attest). */
    static boolean keyUnknown(RoutePlan plan) {
        boolean anyKeyMiss = false;
        for (Exclusion e : plan.excluded()) {
            if (Exclusion.E2EE_NODE_KEY.equals(e.constraint()) && e.reason().startsWith("the route's node")) {
                anyKeyMiss = true;
            }
        }
        return anyKeyMiss;
    }

    /** The 32-byte nonce from 64 hex characters, or null. */
    static byte[] nonce(String hex) {
        if (hex == null || !hex.matches("[0-9a-fA-F]{64}")) {
            return null;
        }
        return E2ee.unhex(hex.toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * {@code {"model": id, "nodes": [evidence...], "transparency": {...}}} for the model's admitted nodes; null when
     * none answered. {@code transparency} holds the signed tree head and, for each node in the same order, its logged
     * identity entry with the inclusion proof in that head (or null when its identity is not in the log).
     */
    Future<byte[]> evidence(Model model, byte[] nonce) {
        List<Future<Evidence>> pending = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Route route : model.routes()) {
            if (route.node() && nodes.admitted(route)) {
                pending.add(nodes.evidence(route.upstream(), nonce));
                names.add(route.upstream().name());
            }
        }
        return Future.join(pending).transform(done -> {
            List<Evidence> answered = new ArrayList<>();
            List<String> answeredNames = new ArrayList<>();
            for (int i = 0; i < pending.size(); i++) {
                Future<Evidence> f = pending.get(i);
                if (f.succeeded()) {
                    answered.add(f.result());
                    answeredNames.add(names.get(i));
                }
            }
            if (answered.isEmpty()) {
                return Future.succeededFuture(null);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(2048);
            try (JsonGenerator g = JSON.createGenerator(out)) {
                g.writeStartObject();
                g.writeStringField("model", model.id());
                g.writeArrayFieldStart("nodes");
                for (Evidence e : answered) {
                    e.write(g);
                }
                g.writeEndArray();
                writeTransparency(g, answeredNames, answered);
                g.writeEndObject();
            } catch (IOException e) {
                return Future.failedFuture(e);
            }
            return Future.succeededFuture(out.toByteArray());
        });
    }

    /** The tree head and each answered node's logged identity with its inclusion proof in that head. */
    private void writeTransparency(JsonGenerator g, List<String> nodeNames, List<Evidence> evidence) throws IOException {
        SignedTreeHead head = transparency.head();
        g.writeObjectFieldStart("transparency");
        g.writeObjectFieldStart("tree_head");
        TransparencyApi.writeHead(g, head, transparency.publicKey());
        g.writeEndObject();
        g.writeArrayFieldStart("nodes");
        for (int i = 0; i < nodeNames.size(); i++) {
            String name = nodeNames.get(i);
            Optional<VerifiedNode> verified = nodes.verified(name);
            if (verified.isPresent() && !verified.get().nodeKeyId().equals(evidence.get(i).nodeKeyId())) {
                // The node rotated since it was admitted: its new identity is logged when it is attested again, which
                // starts now; until then the client sees it as unpublished rather than paired with the old entry.
                nodes.reattest(name);
                verified = Optional.empty();
            }
            String entry = verified.map(v -> LogEntries.node(name, v)).orElse(null);
            OptionalLong index = entry == null ? OptionalLong.empty()
                    : transparency.indexOf(HexFormat.of().formatHex(MerkleHash.leaf(entry.getBytes(StandardCharsets.UTF_8))));
            if (index.isEmpty() || index.getAsLong() >= head.treeSize()) {
                g.writeNull();
                continue;
            }
            g.writeStartObject();
            g.writeStringField("entry", entry);
            g.writeNumberField("leaf_index", index.getAsLong());
            TransparencyApi.writeProof(g, transparency.inclusionProof(index.getAsLong(), head.treeSize()));
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static InvalidRequestException e2ee(int status, String message, String param, String code) {
        return new InvalidRequestException(new OpenAiError(status, message, "e2ee_error", param, code));
    }
}
