package dev.veil.gateway.transparency;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.veil.protocol.attestation.AttestationVerifier.VerifiedNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.HexFormat;

/**
 * The statements the transparency log holds, as canonical JSON: fixed member order, no whitespace, so that the same
 * identity always gives the same bytes and the same leaf hash (which is how an identity already logged is recognised).
 * They describe infrastructure only: never a request, a client or an API key.
 */
public final class LogEntries {

    private static final JsonFactory JSON = new JsonFactory();
    private static final HexFormat HEX = HexFormat.of();

    private LogEntries() {
    }

    /** The log's own key: the first entry of every log, and again after a key change. */
    public static String logKey(byte[] publicKey) {
        return write(g -> {
            g.writeStringField("type", "log_key");
            g.writeStringField("public_key", HEX.formatHex(publicKey));
        });
    }

    /**
     * A node identity the gateway admitted: the node's name in the gateway's configuration, its attestation format,
     * whether that format is simulated, its measurement, the id of its e2ee key configuration and its signing key.
     */
    public static String node(String name, VerifiedNode node) {
        return write(g -> {
            g.writeStringField("type", "node");
            g.writeStringField("node", name);
            g.writeStringField("format", node.format());
            g.writeBooleanField("simulated", node.simulated());
            g.writeStringField("measurement", node.measurement());
            g.writeStringField("node_key_id", node.nodeKeyId());
            g.writeStringField("signing_key", HEX.formatHex(node.signingKey()));
        });
    }

    private interface Members {
        void write(JsonGenerator g) throws IOException;
    }

    private static String write(Members members) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            members.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
