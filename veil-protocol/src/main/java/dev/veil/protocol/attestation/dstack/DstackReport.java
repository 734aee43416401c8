package dev.veil.protocol.attestation.dstack;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.protocol.attestation.nvidia.GpuEvidenceList;
import dev.veil.protocol.attestation.nvidia.GpuFormatException;
import dev.veil.protocol.attestation.tdx.RtmrReplay;
import dev.veil.protocol.attestation.tdx.TdxEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Reads the answer of a hosted provider's {@code GET …/attestation/report?model=&nonce=} in the dstack shape (NEAR AI
 * Cloud, Phala/RedPill, Venice's {@code tee-*} models): one attestation at the top level ({@code intel_quote},
 * {@code event_log}, {@code signing_address}, {@code nvidia_payload}, …), or a list of them under
 * {@code all_attestations} (RedPill, NEAR AI per-model hosts) or {@code model_attestations} (NEAR AI's gateway, next to
 * a {@code gateway_attestation} that is not read here). Every attestation of the list is returned: a verifier must
 * verify each.
 *
 * <p>Bounded and strict: at most {@value #MAX_SIZE} bytes, {@value #MAX_ATTESTATIONS} attestations, duplicate keys
 * refused; a missing or malformed required field is a {@link DstackFormatException} naming it, never a partial report.
 */
public final class DstackReport {

    public static final int MAX_SIZE = 8 * 1024 * 1024;
    public static final int MAX_ATTESTATIONS = 16;
    /** A TDX quote with its PCK chain is about 5 KB; a generous bound. */
    public static final int MAX_QUOTE_BYTES = 64 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16)
                    .maxStringLength(MAX_SIZE).maxDocumentLength(MAX_SIZE).build())
            .build());

    private DstackReport() {
    }

    /** Whether {@code json} looks like a dstack-shape report (has a TDX quote field or a list of attestations). */
    public static boolean looksLikeDstack(byte[] json) {
        String head = new String(json, 0, Math.min(json.length, MAX_SIZE), StandardCharsets.UTF_8);
        return head.contains("\"intel_quote\"") || head.contains("\"model_attestations\"")
                || head.contains("\"all_attestations\"");
    }

    /** Parses the report into its attestations (at least one). */
    public static List<DstackAttestation> parse(byte[] json) throws DstackFormatException {
        if (json == null || json.length == 0) {
            throw new DstackFormatException("report", "empty");
        }
        if (json.length > MAX_SIZE) {
            throw new DstackFormatException("report", json.length + " bytes, more than " + MAX_SIZE);
        }
        JsonNode root = tree(json, "report");
        if (!root.isObject()) {
            throw new DstackFormatException("report", "not a JSON object");
        }
        JsonNode list = root.has("all_attestations") ? root.get("all_attestations") : root.get("model_attestations");
        List<DstackAttestation> out = new ArrayList<>();
        if (list != null && !list.isNull()) {
            String name = root.has("all_attestations") ? "all_attestations" : "model_attestations";
            if (!list.isArray() || list.isEmpty()) {
                throw new DstackFormatException(name, "not a non-empty array");
            }
            if (list.size() > MAX_ATTESTATIONS) {
                throw new DstackFormatException(name, list.size() + " attestations, more than " + MAX_ATTESTATIONS);
            }
            for (int i = 0; i < list.size(); i++) {
                out.add(attestation(list.get(i), name + "[" + i + "]", root));
            }
        } else if (root.has("intel_quote")) {
            out.add(attestation(root, "report", root));
        } else {
            throw new DstackFormatException("report", "neither intel_quote nor all_attestations nor model_attestations");
        }
        return List.copyOf(out);
    }

    private static JsonNode tree(byte[] json, String what) throws DstackFormatException {
        try {
            JsonNode node = JSON.readTree(json);
            if (node == null) {
                throw new DstackFormatException(what, "empty");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new DstackFormatException(what, "not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new DstackFormatException(what, "not readable JSON");
        }
    }

    private static DstackAttestation attestation(JsonNode a, String at, JsonNode root) throws DstackFormatException {
        if (!a.isObject()) {
            throw new DstackFormatException(at, "not an object");
        }
        byte[] quote = hex(text(a, "intel_quote", at, true), at + ".intel_quote");
        if (quote.length > MAX_QUOTE_BYTES) {
            throw new DstackFormatException(at + ".intel_quote", quote.length + " bytes, more than " + MAX_QUOTE_BYTES);
        }
        String algo = text(a, "signing_algo", at, false);
        algo = algo == null ? "ecdsa" : algo.toLowerCase(Locale.ROOT);
        if (!algo.equals("ecdsa") && !algo.equals("ed25519")) {
            throw new DstackFormatException(at + ".signing_algo", "'" + algo + "' is neither ecdsa nor ed25519");
        }
        byte[] address = hex(text(a, "signing_address", at, true), at + ".signing_address");
        int expected = algo.equals("ecdsa") ? 20 : 32;
        if (address.length != expected) {
            throw new DstackFormatException(at + ".signing_address", address.length + " bytes, an " + algo
                    + " signing address has " + expected);
        }
        String publicKey = text(a, "signing_public_key", at, false);
        String fingerprint = text(a, "tls_cert_fingerprint", at, false);
        String nonce = text(a, "request_nonce", at, false);
        if (nonce == null) {
            nonce = text(a, "nonce", at, false);
        }
        String model = text(a, "model_name", at, false);
        if (model == null) {
            model = text(a, "model", at, false);
        }
        List<TdxEvent> events = a.has("event_log") && !a.get("event_log").isNull()
                ? eventLog(a.get("event_log"), at + ".event_log") : null;
        List<GpuEvidenceList.Entry> gpus = null;
        String gpuNonce = null;
        JsonNode payload = a.get("nvidia_payload");
        if (payload != null && !payload.isNull() && !(payload.isTextual() && payload.asText().isEmpty())) {
            byte[] bytes = payload.isTextual() ? payload.asText().getBytes(StandardCharsets.UTF_8)
                    : payload.toString().getBytes(StandardCharsets.UTF_8);
            try {
                gpus = GpuEvidenceList.parse(bytes);
            } catch (GpuFormatException e) {
                throw new DstackFormatException(at + ".nvidia_payload", e.getMessage());
            }
            JsonNode p = payload.isTextual() ? tree(bytes, at + ".nvidia_payload") : payload;
            gpuNonce = p.path("nonce").isTextual() ? p.path("nonce").asText() : null;
        }
        return new DstackAttestation(model, quote, events, algo, address,
                publicKey == null ? null : hex(publicKey, at + ".signing_public_key"),
                fingerprint == null ? null : hex(fingerprint, at + ".tls_cert_fingerprint"), nonce, gpus, gpuNonce,
                declaredGpus(a.has("info") ? a : root, at));
    }

    /** {@code info.vm_config.num_gpus} (vm_config is a JSON string in dstack's info), or -1. */
    private static int declaredGpus(JsonNode a, String at) throws DstackFormatException {
        JsonNode config = a.path("info").path("vm_config");
        if (config.isTextual()) {
            config = tree(config.asText().getBytes(StandardCharsets.UTF_8), at + ".info.vm_config");
        }
        JsonNode n = config.path("num_gpus");
        if (n.isMissingNode() || n.isNull()) {
            return -1;
        }
        if (!n.canConvertToInt() || n.asInt() < 0 || n.asInt() > 64) {
            throw new DstackFormatException(at + ".info.vm_config.num_gpus", "not a GPU count 0..64");
        }
        return n.asInt();
    }

    /** dstack's event log: an array of events, or a string holding that array as JSON (as the providers serve it). */
    static List<TdxEvent> eventLog(JsonNode log, String at) throws DstackFormatException {
        if (log.isTextual()) {
            if (log.asText().isEmpty()) {
                return null;
            }
            log = tree(log.asText().getBytes(StandardCharsets.UTF_8), at);
        }
        if (!log.isArray()) {
            throw new DstackFormatException(at, "not an array of events");
        }
        if (log.size() > RtmrReplay.MAX_EVENTS) {
            throw new DstackFormatException(at, log.size() + " events, more than " + RtmrReplay.MAX_EVENTS);
        }
        List<TdxEvent> out = new ArrayList<>();
        for (int i = 0; i < log.size(); i++) {
            JsonNode e = log.get(i);
            String where = at + "[" + i + "]";
            if (!e.isObject()) {
                throw new DstackFormatException(where, "not an object");
            }
            JsonNode imr = e.get("imr");
            JsonNode type = e.get("event_type");
            if (imr == null || !imr.canConvertToInt() || imr.asInt() < 0 || imr.asInt() > 3) {
                throw new DstackFormatException(where + ".imr", "not an RTMR index 0..3");
            }
            if (type == null || !type.isIntegralNumber() || type.asLong() < 0 || type.asLong() > 0xFFFFFFFFL) {
                throw new DstackFormatException(where + ".event_type", "not a 32-bit event type");
            }
            String digest = text(e, "digest", where, false);
            String name = text(e, "event", where, false);
            String payload = text(e, "event_payload", where, false);
            out.add(new TdxEvent(imr.asInt(), type.asLong(), digest == null ? null : hex(digest, where + ".digest"),
                    name, payload == null ? null : hex(payload, where + ".event_payload"), version(e.get("version"),
                    where)));
        }
        return out;
    }

    private static int version(JsonNode v, String where) throws DstackFormatException {
        if (v == null || v.isNull()) {
            return 1;
        }
        String s = v.asText().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "1", "v1" -> 1;
            case "2", "v2" -> 2;
            default -> throw new DstackFormatException(where + ".version", "'" + s + "' is neither 1 nor 2");
        };
    }

    private static String text(JsonNode o, String field, String at, boolean required) throws DstackFormatException {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new DstackFormatException(at + "." + field, "missing");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw new DstackFormatException(at + "." + field, "not a string");
        }
        return v.asText();
    }

    static byte[] hex(String text, String field) throws DstackFormatException {
        String s = text.strip();
        if (s.startsWith("0x") || s.startsWith("0X")) {
            s = s.substring(2);
        }
        try {
            return HexFormat.of().parseHex(s);
        } catch (IllegalArgumentException e) {
            throw new DstackFormatException(field, "not hex");
        }
    }
}
