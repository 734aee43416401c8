package dev.veil.protocol.attestation;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * One GPU's evidence inside a node's {@link Evidence} (docs/e2ee.md §3.2): its format ({@code nvidia-gpu} for an
 * NVIDIA confidential-computing report, {@code simulated-gpu} for the demo), the architecture the collector labelled it
 * with (never trusted: the verifier reads it from the device certificate), the raw report and its certificate chain.
 *
 * @param format       {@code nvidia-gpu} or {@code simulated-gpu}
 * @param architecture the collector's label ({@code hopper}, {@code blackwell}), or null
 * @param report       the raw report (for {@code nvidia-gpu}: SPDM GET_MEASUREMENTS request and response)
 * @param certificates the device certificate chain (PEM, leaf first); empty for simulated reports
 */
public record GpuReport(String format, String architecture, byte[] report, byte[] certificates) {

    /** The most GPU reports one node's evidence may carry: eight GPUs and four NVSwitches, with room to spare. */
    public static final int MAX_PER_NODE = 16;
    /** A Hopper or Blackwell report is a few KiB and its chain about 4 KiB; anything much larger is refused unread. */
    public static final int MAX_REPORT_BYTES = 64 * 1024;

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    public GpuReport {
        if (format == null || format.isEmpty()) {
            throw new IllegalArgumentException("a GPU report needs a format");
        }
        report = report == null ? new byte[0] : report.clone();
        certificates = certificates == null ? new byte[0] : certificates.clone();
    }

    @Override
    public byte[] report() {
        return report.clone();
    }

    @Override
    public byte[] certificates() {
        return certificates.clone();
    }

    /** Whether this is development evidence without a GPU behind it. */
    public boolean simulated() {
        return SimulatedGpuEvidence.FORMAT.equals(format);
    }

    void write(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("format", format);
        if (architecture != null) {
            g.writeStringField("architecture", architecture);
        }
        g.writeStringField("report", B64.encodeToString(report));
        if (certificates.length > 0) {
            g.writeStringField("certificates", B64.encodeToString(certificates));
        }
        g.writeBooleanField("simulated", simulated());
        g.writeEndObject();
    }

    /**
     * Parses {@code {"gpus":[...]}} (the shape of the {@code gpus} member of evidence, as a GPU evidence collector
     * writes it).
     */
    public static List<GpuReport> parseList(byte[] json) throws AttestationException {
        try (JsonParser p = new com.fasterxml.jackson.core.JsonFactory().createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new AttestationException.InvalidEvidence("GPU evidence is not a JSON object with a 'gpus' array");
            }
            List<GpuReport> out = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("gpus")) {
                    out = readAll(p);
                } else {
                    p.skipChildren();
                }
            }
            if (out == null) {
                throw new AttestationException.InvalidEvidence("GPU evidence has no 'gpus' array");
            }
            return out;
        } catch (IOException e) {
            throw new AttestationException.InvalidEvidence("GPU evidence is not valid JSON");
        }
    }

    /** Reads the {@code gpus} array; the parser stands on its START_ARRAY. */
    static List<GpuReport> readAll(JsonParser p) throws IOException, AttestationException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw new AttestationException.InvalidEvidence("evidence 'gpus' is not an array");
        }
        List<GpuReport> out = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (out.size() == MAX_PER_NODE) {
                throw new AttestationException.InvalidEvidence("evidence carries more than " + MAX_PER_NODE
                        + " GPU reports");
            }
            out.add(read(p));
        }
        return List.copyOf(out);
    }

    private static GpuReport read(JsonParser p) throws IOException, AttestationException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new AttestationException.InvalidEvidence("a GPU report in 'gpus' is not a JSON object");
        }
        String format = null;
        String architecture = null;
        String report = null;
        String certificates = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            String text = v == JsonToken.VALUE_STRING ? p.getText() : null;
            switch (field) {
                case "format" -> format = text;
                case "architecture" -> architecture = text;
                case "report" -> report = text;
                case "certificates" -> certificates = text;
                default -> p.skipChildren();
            }
        }
        if (format == null || report == null) {
            throw new AttestationException.InvalidEvidence("a GPU report misses its format or report");
        }
        // Base64 of MAX_REPORT_BYTES is a third longer; refuse before decoding.
        int maxText = MAX_REPORT_BYTES / 3 * 4 + 4;
        if (report.length() > maxText || (certificates != null && certificates.length() > maxText)) {
            throw new AttestationException.InvalidEvidence("a GPU report or its certificates exceed "
                    + MAX_REPORT_BYTES + " bytes");
        }
        try {
            return new GpuReport(format, architecture, B64D.decode(report),
                    certificates == null ? null : B64D.decode(certificates));
        } catch (IllegalArgumentException e) {
            throw new AttestationException.InvalidEvidence("a GPU report has a badly encoded field");
        }
    }
}
