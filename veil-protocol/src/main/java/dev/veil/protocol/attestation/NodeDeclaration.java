package dev.veil.protocol.attestation;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.veil.protocol.DataPolicy;
import dev.veil.protocol.TeeKind;
import dev.veil.protocol.e2ee.SigningKey;
import dev.veil.protocol.policy.PolicyTarget;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Set;

/**
 * What a node declares about itself, signed with its attested signing key (docs/e2ee.md §3): the name it answers to
 * in allow- and deny-lists, and its data policy (training, retention, jurisdiction). The TEE kind and e2ee are not
 * declared: they follow from the verified evidence. A client that verified the evidence trusts the declaration as
 * far as it trusts the attested software, and checks a request's policy against it before sending; the node checks
 * the same policy against the same declaration after opening the request.
 *
 * @param name          the node's name for allow- and deny-lists; {@code null} = none (allow-lists then exclude it)
 * @param trains        whether requests may be trained on; {@code null} = assumed yes
 * @param retentionDays how long requests are kept; 0 = not at all; {@code null} = unknown
 * @param zdr           whether zero data retention is guaranteed
 * @param jurisdiction  where requests are processed (ISO country or region code); {@code null} = unknown
 * @param policyUrl     where the operator publishes its policy; informational
 * @param gpus          how many GPUs the node serves with, each attested in its evidence; {@code null} = not declared
 *                      (a verifier then checks only the GPU reports present)
 */
public record NodeDeclaration(String name, Boolean trains, Integer retentionDays, Boolean zdr, String jurisdiction,
                              String policyUrl, Integer gpus) {

    /** A declaration that does not state a GPU count. */
    public NodeDeclaration(String name, Boolean trains, Integer retentionDays, Boolean zdr, String jurisdiction,
                           String policyUrl) {
        this(name, trains, retentionDays, zdr, jurisdiction, policyUrl, null);
    }

    /** This declaration stating that the node serves with {@code count} attested GPUs. */
    public NodeDeclaration withGpus(int count) {
        return new NodeDeclaration(name, trains, retentionDays, zdr, jurisdiction, policyUrl, count);
    }

    /** Domain separation: a declaration signature can never be taken for a receipt signature, nor the reverse. */
    private static final byte[] CONTEXT = "veil e2ee v1 node declaration\0".getBytes(StandardCharsets.US_ASCII);
    private static final JsonFactory JSON = new JsonFactory();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();
    /** A declaration is a few fields; anything longer is refused before it is parsed. */
    private static final int MAX_PAYLOAD = 4096;

    /** The declaration's exact JSON bytes and the Ed25519 signature over {@code CONTEXT || payload}. */
    public record Signed(byte[] payload, byte[] signature) {
    }

    /** The data policy this declaration gives a node whose evidence verified in {@code format}. */
    public DataPolicy dataPolicy(String format) {
        TeeKind tee;
        try {
            tee = TeeKind.fromWireName(format);
        } catch (IllegalArgumentException e) {
            tee = TeeKind.NONE;
        }
        return new DataPolicy(trains, retentionDays, zdr, tee, true, jurisdiction, policyUrl);
    }

    /**
     * The node as a policy is checked against it: its declared name and data policy, the TEE of its evidence
     * {@code format}, e2ee; no prices and no supported parameters (the node does not know them, so caps and
     * {@code require_parameters} fail closed).
     */
    public PolicyTarget target(String format) {
        DataPolicy policy = dataPolicy(format);
        String declared = name;
        return new PolicyTarget() {
            @Override
            public String name() {
                return declared;
            }

            @Override
            public String upstreamName() {
                return null;
            }

            @Override
            public DataPolicy policy() {
                return policy;
            }

            @Override
            public Double promptPrice() {
                return null;
            }

            @Override
            public Double completionPrice() {
                return null;
            }

            @Override
            public Set<String> supportedParameters() {
                return null;
            }
        };
    }

    /** The JSON payload: {@code {"v":1,"name":…,"trains":…,"retention_days":…,"zdr":…,"jurisdiction":…,"policy_url":…}}. */
    public byte[] toJson() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(160);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("v", 1);
            g.writeStringField("name", name);
            if (trains == null) {
                g.writeNullField("trains");
            } else {
                g.writeBooleanField("trains", trains);
            }
            if (retentionDays == null) {
                g.writeNullField("retention_days");
            } else {
                g.writeNumberField("retention_days", retentionDays);
            }
            if (zdr == null) {
                g.writeNullField("zdr");
            } else {
                g.writeBooleanField("zdr", zdr);
            }
            g.writeStringField("jurisdiction", jurisdiction);
            g.writeStringField("policy_url", policyUrl);
            if (gpus != null) {
                // Only when declared, so a declaration without GPUs keeps the bytes (and signature) it always had.
                g.writeNumberField("gpus", gpus);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Signs this declaration with the node's key. */
    public Signed sign(SigningKey key) {
        byte[] payload = toJson();
        return new Signed(payload, key.sign(signedBytes(payload)));
    }

    /**
     * Verifies {@code signed} with the attested raw Ed25519 public key and parses it.
     *
     * @throws AttestationException.InvalidEvidence when the signature does not verify or the payload is malformed
     */
    public static NodeDeclaration verify(Signed signed, byte[] signingPublicKey) throws AttestationException {
        if (signed.payload().length > MAX_PAYLOAD
                || !SigningKey.verify(signingPublicKey, signedBytes(signed.payload()), signed.signature())) {
            throw new AttestationException.InvalidEvidence("the node's declaration is not signed by its attested key");
        }
        return parse(signed.payload());
    }

    /** Writes {@code signed} as {@code {"payload": b64u, "signature": b64u}}. */
    public static void write(JsonGenerator g, Signed signed) throws IOException {
        g.writeStartObject();
        g.writeStringField("payload", B64.encodeToString(signed.payload()));
        g.writeStringField("signature", B64.encodeToString(signed.signature()));
        g.writeEndObject();
    }

    /** Reads {@code {"payload": b64u, "signature": b64u}} (the parser on its start); does not verify. */
    static Signed read(JsonParser p) throws IOException, AttestationException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new AttestationException.InvalidEvidence("the node's declaration is not a JSON object");
        }
        String payload = null;
        String signature = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            String text = v == JsonToken.VALUE_STRING ? p.getText() : null;
            switch (field) {
                case "payload" -> payload = text;
                case "signature" -> signature = text;
                default -> p.skipChildren();
            }
        }
        if (payload == null || signature == null) {
            throw new AttestationException.InvalidEvidence("the node's declaration needs payload and signature");
        }
        try {
            return new Signed(B64D.decode(payload), B64D.decode(signature));
        } catch (IllegalArgumentException e) {
            throw new AttestationException.InvalidEvidence("the node's declaration is badly encoded");
        }
    }

    private static NodeDeclaration parse(byte[] payload) throws AttestationException {
        String name = null;
        Boolean trains = null;
        Integer retentionDays = null;
        Boolean zdr = null;
        String jurisdiction = null;
        String policyUrl = null;
        Integer gpus = null;
        try (JsonParser p = JSON.createParser(payload)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new AttestationException.InvalidEvidence("the node's declaration is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                switch (field) {
                    case "name" -> name = v == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "trains" -> trains = v.isBoolean() ? v == JsonToken.VALUE_TRUE : null;
                    case "retention_days" -> retentionDays = v == JsonToken.VALUE_NUMBER_INT && p.getIntValue() >= 0
                            ? p.getIntValue() : null;
                    case "zdr" -> zdr = v.isBoolean() ? v == JsonToken.VALUE_TRUE : null;
                    case "jurisdiction" -> jurisdiction = v == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "policy_url" -> policyUrl = v == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "gpus" -> {
                        if (v != JsonToken.VALUE_NUMBER_INT || p.getIntValue() < 0
                                || p.getIntValue() > GpuReport.MAX_PER_NODE) {
                            throw new AttestationException.InvalidEvidence("the node's declaration has a 'gpus' count"
                                    + " that is not a whole number from 0 to " + GpuReport.MAX_PER_NODE);
                        }
                        gpus = p.getIntValue();
                    }
                    default -> p.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new AttestationException.InvalidEvidence("the node's declaration is not valid JSON");
        }
        return new NodeDeclaration(name, trains, retentionDays, zdr, jurisdiction, policyUrl, gpus);
    }

    private static byte[] signedBytes(byte[] payload) {
        byte[] out = new byte[CONTEXT.length + payload.length];
        System.arraycopy(CONTEXT, 0, out, 0, CONTEXT.length);
        System.arraycopy(payload, 0, out, CONTEXT.length, payload.length);
        return out;
    }
}
