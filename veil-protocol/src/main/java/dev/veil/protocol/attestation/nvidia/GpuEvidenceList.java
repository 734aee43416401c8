package dev.veil.protocol.attestation.nvidia;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * GPU evidence in the JSON shape NVIDIA's attestation SDK serialises (and hosted providers embed as
 * {@code nvidia_payload}): either an array of {@code {"arch", "certificate", "evidence", "nonce"}} or an object whose
 * {@code evidence_list} is that array. {@code certificate} is the base64 of the PEM chain, {@code evidence} the base64
 * of the report; {@code arch} and {@code nonce} are what the collector declares. Nothing declared is trusted: the
 * verifier checks the declared architecture against the device certificate and the report's nonce against the one the
 * verifier chose.
 *
 * <p>Bounded: at most {@value #MAX_SIZE} bytes of JSON and {@value #MAX_GPUS} entries; duplicate keys are refused.
 */
public final class GpuEvidenceList {

    public static final int MAX_SIZE = 1024 * 1024;
    public static final int MAX_GPUS = 16;

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8)
                    .maxStringLength(256 * 1024).build())
            .build();

    /**
     * One GPU's entry.
     *
     * @param evidence      its report and chain, with the declared architecture
     * @param declaredNonce the nonce the collector says it used (hex), or null; informational only
     */
    public record Entry(GpuEvidence evidence, String declaredNonce) {
    }

    private GpuEvidenceList() {
    }

    /** Whether {@code bytes} look like JSON (first non-blank byte {@code [} or <code>{</code>). */
    public static boolean looksLikeJson(byte[] bytes) {
        for (byte b : bytes) {
            if (b == '[' || b == '{') {
                return true;
            }
            if (!Character.isWhitespace(b)) {
                return false;
            }
        }
        return false;
    }

    /** Parses the list; every entry must have {@code evidence} and {@code certificate}. */
    public static List<Entry> parse(byte[] json) throws GpuFormatException {
        if (json.length > MAX_SIZE) {
            throw new GpuFormatException("GPU evidence JSON", json.length + " bytes, more than " + MAX_SIZE);
        }
        try (JsonParser p = JSON.createParser(json)) {
            JsonToken t = p.nextToken();
            if (t == JsonToken.START_OBJECT) {
                List<Entry> found = null;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    p.nextToken();
                    if ("evidence_list".equals(field)) {
                        found = array(p);
                    } else {
                        p.skipChildren();
                    }
                }
                if (found == null) {
                    throw new GpuFormatException("GPU evidence JSON", "an object without evidence_list");
                }
                return found;
            }
            if (t == JsonToken.START_ARRAY) {
                return array(p);
            }
            throw new GpuFormatException("GPU evidence JSON", "neither an array nor an object");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new GpuFormatException("GPU evidence JSON", "not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new GpuFormatException("GPU evidence JSON", "not readable JSON");
        }
    }

    private static byte[] base64(String text) {
        return Base64.getDecoder().decode(text.replaceAll("\\s", ""));
    }

    private static List<Entry> array(JsonParser p) throws IOException, GpuFormatException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw new GpuFormatException("evidence_list", "not an array");
        }
        List<Entry> out = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (out.size() == MAX_GPUS) {
                throw new GpuFormatException("GPU evidence JSON", "more than " + MAX_GPUS + " GPUs");
            }
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw new GpuFormatException("GPU " + out.size(), "not an object");
            }
            String arch = null;
            String certificate = null;
            String evidence = null;
            String nonce = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                String text = v == JsonToken.VALUE_STRING ? p.getText() : null;
                switch (field) {
                    case "arch" -> arch = text;
                    case "certificate" -> certificate = text;
                    case "evidence" -> evidence = text;
                    case "nonce" -> nonce = text;
                    default -> p.skipChildren();
                }
            }
            if (certificate == null || evidence == null) {
                throw new GpuFormatException("GPU " + out.size(), "needs both \"evidence\" and \"certificate\"");
            }
            try {
                out.add(new Entry(new GpuEvidence(base64(evidence), base64(certificate), arch), nonce));
            } catch (IllegalArgumentException e) {
                throw new GpuFormatException("GPU " + out.size(), "evidence or certificate is not base64");
            }
        }
        if (out.isEmpty()) {
            throw new GpuFormatException("GPU evidence JSON", "no GPU");
        }
        return List.copyOf(out);
    }
}
