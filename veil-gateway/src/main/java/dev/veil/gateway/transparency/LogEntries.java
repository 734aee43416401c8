package dev.veil.gateway.transparency;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.veil.protocol.attestation.AttestationVerifier.VerifiedNode;
import dev.veil.protocol.attestation.VerifiedGpu;
import dev.veil.protocol.attestation.NodeDeclaration;
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
     * The gateway's receipt key, with which it signs every privacy receipt (docs/privacy.md, "Signed receipts"):
     * logged at start, so a client can check that the key a receipt verifies with is the one everybody sees.
     */
    public static String receiptKey(byte[] publicKey) {
        return write(g -> {
            g.writeStringField("type", "receipt_key");
            g.writeStringField("public_key", HEX.formatHex(publicKey));
        });
    }

    /**
     * A node identity the gateway admitted: the node's name in the gateway's configuration, its attestation format,
     * whether that format is simulated, its measurement, the id of its e2ee key configuration, its signing key and
     * its signed declaration (name, training, retention, jurisdiction, policy URL); and, for a node with GPUs, each
     * GPU's format, architecture, measurement digest and whether it is simulated.
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
            if (!node.gpus().isEmpty()) {
                // Each GPU as verified with the node's CPU report: a changed GPU set is a new identity.
                g.writeArrayFieldStart("gpus");
                for (VerifiedGpu gpu : node.gpus()) {
                    g.writeStartObject();
                    g.writeStringField("format", gpu.format());
                    g.writeStringField("architecture", gpu.architecture());
                    g.writeStringField("measurement", gpu.measurement());
                    g.writeBooleanField("simulated", gpu.simulated());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            NodeDeclaration d = node.declaration();
            if (d == null) {
                g.writeNullField("declaration");
            } else {
                // What the node promises about data (signed into its attestation): a changed promise is a new entry.
                g.writeObjectFieldStart("declaration");
                writeNullable(g, "name", d.name());
                writeNullable(g, "trains", d.trains());
                writeNullable(g, "retention_days", d.retentionDays());
                writeNullable(g, "zdr", d.zdr());
                writeNullable(g, "jurisdiction", d.jurisdiction());
                writeNullable(g, "policy_url", d.policyUrl());
                g.writeEndObject();
            }
        });
    }

    private static void writeNullable(JsonGenerator g, String name, Object value) throws IOException {
        if (value == null) {
            g.writeNullField(name);
        } else if (value instanceof Boolean b) {
            g.writeBooleanField(name, b);
        } else if (value instanceof Integer n) {
            g.writeNumberField(name, n);
        } else {
            g.writeStringField(name, value.toString());
        }
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
