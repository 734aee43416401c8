package dev.veil.protocol.attestation;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.veil.protocol.e2ee.E2ee;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.List;

/**
 * A node's attestation evidence as served at {@code /v1/attestation} (docs/e2ee.md §3): the format's raw report, the
 * keys it binds, and the nonce it was made for; the node's {@link NodeDeclaration}, signed by the bound signing key
 * ({@code null} from a node that declares nothing); and one {@link GpuReport} per GPU, bound to the CPU report by
 * {@link GpuBinding} (empty for a node without GPUs).
 */
public record Evidence(String format, String nodeKeyId, byte[] keyConfig, byte[] signingKey, byte[] nonce,
                       byte[] reportData, byte[] raw, String measurement, byte[] certificates,
                       NodeDeclaration.Signed declaration, List<GpuReport> gpus) {

    public Evidence {
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
    }

    /** Evidence without GPU reports. */
    public Evidence(String format, String nodeKeyId, byte[] keyConfig, byte[] signingKey, byte[] nonce,
                    byte[] reportData, byte[] raw, String measurement, byte[] certificates,
                    NodeDeclaration.Signed declaration) {
        this(format, nodeKeyId, keyConfig, signingKey, nonce, reportData, raw, measurement, certificates, declaration,
                List.of());
    }

    /** This evidence carrying {@code reports}, one per GPU (their digest must already be in the report data). */
    public Evidence withGpus(List<GpuReport> reports) {
        return new Evidence(format, nodeKeyId, keyConfig, signingKey, nonce, reportData, raw, measurement, certificates,
                declaration, reports);
    }

    /** Evidence without a declaration. */
    public Evidence(String format, String nodeKeyId, byte[] keyConfig, byte[] signingKey, byte[] nonce,
                    byte[] reportData, byte[] raw, String measurement, byte[] certificates) {
        this(format, nodeKeyId, keyConfig, signingKey, nonce, reportData, raw, measurement, certificates, null);
    }

    /** This evidence carrying the node's signed declaration. */
    public Evidence withDeclaration(NodeDeclaration.Signed signed) {
        return new Evidence(format, nodeKeyId, keyConfig, signingKey, nonce, reportData, raw, measurement, certificates,
                signed, gpus);
    }

    /** Evidence without accompanying certificates (simulated, or TDX whose quote carries its chain). */
    public Evidence(String format, String nodeKeyId, byte[] keyConfig, byte[] signingKey, byte[] nonce,
                    byte[] reportData, byte[] raw, String measurement) {
        this(format, nodeKeyId, keyConfig, signingKey, nonce, reportData, raw, measurement, null);
    }

    private static final JsonFactory JSON = new JsonFactory();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    /** Whether this is development evidence without hardware. */
    public boolean simulated() {
        return SimulatedEvidence.FORMAT.equals(format);
    }

    public void write(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("format", format);
        g.writeStringField("node_key_id", nodeKeyId);
        g.writeStringField("key_config", B64.encodeToString(keyConfig));
        g.writeStringField("signing_key", B64.encodeToString(signingKey));
        g.writeStringField("nonce", E2ee.hex(nonce));
        g.writeStringField("report_data", E2ee.hex(reportData));
        g.writeStringField("evidence", B64.encodeToString(raw));
        g.writeStringField("measurement", measurement);
        if (certificates != null) {
            // For SEV-SNP: the certificate table the host supplied (configfs-tsm auxblob), VCEK and its chain.
            g.writeStringField("certificates", B64.encodeToString(certificates));
        }
        g.writeBooleanField("simulated", simulated());
        if (declaration != null) {
            g.writeFieldName("declaration");
            NodeDeclaration.write(g, declaration);
        }
        if (!gpus.isEmpty()) {
            g.writeArrayFieldStart("gpus");
            for (GpuReport gpu : gpus) {
                gpu.write(g);
            }
            g.writeEndArray();
        }
        g.writeEndObject();
    }

    public byte[] toJson() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Parses evidence JSON (from a node or the gateway). */
    public static Evidence parse(JsonParser p) throws IOException, AttestationException {
        String format = null;
        String nodeKeyId = null;
        String keyConfig = null;
        String signingKey = null;
        String nonce = null;
        String reportData = null;
        String raw = null;
        String measurement = null;
        String certificates = null;
        NodeDeclaration.Signed declaration = null;
        List<GpuReport> gpus = List.of();
        if (p.currentToken() != JsonToken.START_OBJECT && p.nextToken() != JsonToken.START_OBJECT) {
            throw new AttestationException.InvalidEvidence("evidence is not a JSON object");
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            String text = v == JsonToken.VALUE_STRING ? p.getText() : null;
            switch (field) {
                case "format" -> format = text;
                case "node_key_id" -> nodeKeyId = text;
                case "key_config" -> keyConfig = text;
                case "signing_key" -> signingKey = text;
                case "nonce" -> nonce = text;
                case "report_data" -> reportData = text;
                case "evidence" -> raw = text;
                case "measurement" -> measurement = text;
                case "certificates" -> certificates = text;
                case "declaration" -> declaration = NodeDeclaration.read(p);
                case "gpus" -> gpus = GpuReport.readAll(p);
                default -> p.skipChildren();
            }
        }
        if (format == null || nodeKeyId == null || keyConfig == null || signingKey == null || nonce == null
                || reportData == null || raw == null) {
            throw new AttestationException.InvalidEvidence("evidence misses required fields");
        }
        try {
            return new Evidence(format, nodeKeyId, B64D.decode(keyConfig), B64D.decode(signingKey), E2ee.unhex(nonce),
                    E2ee.unhex(reportData), B64D.decode(raw), measurement,
                    certificates == null ? null : B64D.decode(certificates), declaration, gpus);
        } catch (IllegalArgumentException e) {
            throw new AttestationException.InvalidEvidence("evidence has a badly encoded field");
        }
    }

    public static Evidence parse(byte[] json) throws AttestationException {
        try (JsonParser p = JSON.createParser(json)) {
            return parse(p);
        } catch (IOException e) {
            throw new AttestationException.InvalidEvidence("evidence is not valid JSON");
        }
    }
}
