package dev.veil.gateway.metering;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import dev.veil.gateway.http.Exchange;
import dev.veil.gateway.http.HeaderNames;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.openai.Usage;
import dev.veil.gateway.routing.Route;
import dev.veil.protocol.DataPolicy;
import dev.veil.protocol.RequestLogMode;
import dev.veil.protocol.attestation.AttestationVerifier.VerifiedNode;
import dev.veil.protocol.e2ee.SigningKey;
import dev.veil.protocol.receipt.GatewayReceipt;
import dev.veil.store.ApiKeyRecord;
import io.vertx.core.MultiMap;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The signed privacy receipt Veil attaches to every answered inference request: which route served it and in which
 * mode (with the verified node's identity on a node route), that route's declared data policy, exactly what Veil
 * itself stored about the request and for how long (the key's request log mode: a row with its time to the second,
 * minute or hour, or daily totals only), the request id, the SHA-256 of the request body as Veil received it, and, once
 * known, the token counts. Never content.
 *
 * <p>Sent as the {@value GatewayReceipt#HEADER} header (compact ASCII JSON) with, when the request asked for it
 * ({@link #signatureRequested}), its Ed25519 signature by the gateway's receipt key in
 * {@value GatewayReceipt#SIGNATURE_HEADER}; a stream, whose headers leave before its usage is known,
 * ends with a second receipt with the counts, as two SSE comment lines {@code : veil-receipt {...}} and
 * {@code : veil-receipt-signature ...}. docs/privacy.md ("Signed receipts") defines the bytes.
 */
public final class PrivacyReceipt {

    /** Stands in for the request id while a route's receipt is rendered once; request ids are plain hex. */
    private static final String PLACEHOLDER = "VEIL_REQUEST_ID_PLACEHOLDER";
    /** Renders kept at most; node key rotations add new ones, so past this the cache starts over. */
    private static final int MAX_RENDERED = 4096;
    private static final HexFormat HEX = HexFormat.of();

    private final JsonWriter json;
    private final MetadataMinimisation minimisation;
    private final SigningKey key;
    private final String keyId;
    private final boolean signEvery;
    /**
     * Per route, mode, node identity and request log setting, the receipt split around the request id (and without
     * its closing brace): everything else is the same for every request. Bounded by {@link #MAX_RENDERED}.
     */
    private final ConcurrentHashMap<String, String[]> rendered = new ConcurrentHashMap<>();

    /**
     * @param receiptKey the gateway's receipt key ({@link ReceiptKeyFile}), published in the transparency log
     */
    public PrivacyReceipt(JsonWriter json, MetadataMinimisation minimisation, SigningKey receiptKey) {
        this(json, minimisation, receiptKey, false);
    }

    /**
     * @param receiptKey the gateway's receipt key ({@link ReceiptKeyFile}), published in the transparency log
     * @param signEvery  whether every receipt is signed ({@code server.sign_receipts: always}), not only those asked
     *                   for
     */
    public PrivacyReceipt(JsonWriter json, MetadataMinimisation minimisation, SigningKey receiptKey, boolean signEvery) {
        this.json = json;
        this.minimisation = minimisation;
        this.key = receiptKey;
        this.keyId = GatewayReceipt.keyId(receiptKey.publicKey());
        this.signEvery = signEvery;
    }

    /** The receipt key's raw Ed25519 public key. */
    public byte[] publicKey() {
        return key.publicKey();
    }

    /** The receipt key's id, as receipts name it. */
    public String keyId() {
        return keyId;
    }

    /**
     * The receipt of {@code exchange}'s request, served by {@code route}, ready to be signed with or without counts.
     *
     * @param receivedBody the request body exactly as Veil received it (for e2ee, the sealed bytes)
     * @param e2ee         whether the request is end-to-end encrypted (the receipt's mode is then {@code e2ee})
     * @param node         the node's verified identity on a node route, else {@code null}
     */
    public Issued issue(Exchange exchange, Route route, byte[] receivedBody, boolean e2ee, VerifiedNode node) {
        return issue(exchange.requestId(), exchange.key(), route, receivedBody, e2ee, node,
                signEvery || signatureRequested(exchange.request().getHeader(HeaderNames.VEIL_SIGN_RECEIPT)));
    }

    /**
     * Whether a request asked for a signed receipt ({@value GatewayReceipt#SIGN_REQUEST_HEADER}{@code : true}; the SDK and
     * {@code veil proxy} always do). Signing costs about 40 µs of CPU per answer (twice for a stream), half of what a
     * whole request costs the gateway otherwise, so an answer is signed only for a caller that verifies it.
     */
    public static boolean signatureRequested(String headerValue) {
        return headerValue != null && headerValue.trim().equalsIgnoreCase("true");
    }

    /**
     * As {@link #issue(Exchange, Route, byte[], boolean, VerifiedNode)}, for request {@code requestId} of {@code apiKey}.
     *
     * @param signed whether the receipt is signed (else it is sent without {@value GatewayReceipt#SIGNATURE_HEADER})
     */
    public Issued issue(String requestId, ApiKeyRecord apiKey, Route route, byte[] receivedBody, boolean e2ee,
                        VerifiedNode node, boolean signed) {
        RequestLogMode logMode = minimisation.mode(apiKey);
        int retentionDays = minimisation.retentionDays(apiKey);
        String mode = e2ee ? "e2ee" : route.mode().wireName();
        // Keyed by name and mode, not the record: a route's plaintext view (tee) is a new instance per request.
        StringBuilder cacheKey = new StringBuilder(128).append(route.modelId()).append('\u0000').append(route.name())
                .append('\u0000').append(mode).append('\u0000').append(logMode.ordinal()).append('\u0000')
                .append(retentionDays);
        if (node != null) {
            cacheKey.append('\u0000').append(node.nodeKeyId()).append('\u0000').append(node.measurement());
        }
        String k = cacheKey.toString();
        String[] parts = rendered.get(k);
        if (parts == null) {
            if (rendered.size() >= MAX_RENDERED) {
                rendered.clear();
            }
            parts = rendered.computeIfAbsent(k, x -> split(render(route, mode, node, logMode, retentionDays)));
        }
        return new Issued(parts, requestId, GatewayReceipt.bodySha256(receivedBody), signed ? key : null);
    }

    /** The rendered receipt around the placeholder, its closing brace dropped so that counts can follow. */
    private static String[] split(String whole) {
        String[] parts = whole.split(PLACEHOLDER, 2);
        parts[1] = parts[1].substring(0, parts[1].length() - 1);
        return parts;
    }

    private String render(Route route, String mode, VerifiedNode node, RequestLogMode logMode, int retentionDays) {
        // Compact on purpose: it rides on every response. docs/privacy.md lists the request-log fields in full.
        return new String(json.write(g -> {
            // ASCII only: the receipt is an HTTP header value and its bytes are what is signed.
            g.configure(JsonWriteFeature.ESCAPE_NON_ASCII.mappedFeature(), true);
            g.writeStartObject();
            g.writeNumberField("v", GatewayReceipt.VERSION);
            g.writeStringField("key_id", keyId);
            g.writeStringField("request_id", PLACEHOLDER);
            g.writeStringField("route", route.name());
            g.writeStringField("mode", mode);
            if (node != null) {
                // The identity the gateway verified (and logged) for the node that served the request.
                g.writeObjectFieldStart("node");
                g.writeStringField("node_key_id", node.nodeKeyId());
                g.writeStringField("format", node.format());
                g.writeStringField("measurement", node.measurement());
                g.writeStringField("signing_key", HEX.formatHex(node.signingKey()));
                g.writeEndObject();
            }
            writeProviderPolicy(g, route.policy());
            if (!route.forwarding().allowedFields().isEmpty()) {
                // The operator let these request fields through on this route (docs/privacy.md lists the defaults).
                g.writeArrayFieldStart("operator_forwarded_fields");
                for (String field : route.forwarding().allowedFields()) {
                    g.writeString(field);
                }
                g.writeEndArray();
            }
            g.writeObjectFieldStart("veil_stored");
            g.writeBooleanField("content", false);
            g.writeBooleanField("client_ip", false);
            g.writeStringField("metadata", logMode.perRequestRows() ? "request_log" : "daily_totals");
            g.writeStringField("time", logMode.timeName());
            g.writeNumberField("retention_days", retentionDays);
            g.writeEndObject();
            g.writeEndObject();
        }), StandardCharsets.US_ASCII);
    }

    private static void writeProviderPolicy(JsonGenerator g, DataPolicy p) throws IOException {
        g.writeObjectFieldStart("provider_policy");
        if (p.trains() == null) {
            g.writeNullField("trains");
        } else {
            g.writeBooleanField("trains", p.trains());
        }
        if (p.retentionDays() == null) {
            g.writeNullField("retention_days");
        } else {
            g.writeNumberField("retention_days", p.retentionDays());
        }
        g.writeStringField("tee", p.teeKind().wireName());
        g.writeBooleanField("e2ee", Boolean.TRUE.equals(p.e2ee()));
        g.writeStringField("jurisdiction", p.jurisdiction());
        g.writeEndObject();
    }

    /**
     * One request's receipt before signing. A response's headers carry it without counts when they leave before the
     * usage is known (a stream), with them otherwise; a stream's closing comment always carries them.
     */
    public static final class Issued {

        private final String[] parts;
        private final String requestId;
        private final String bodySha256;
        /** The receipt key, or null for a caller that did not ask for a signature. */
        private final SigningKey key;

        Issued(String[] parts, String requestId, String bodySha256, SigningKey key) {
            this.parts = parts;
            this.requestId = requestId;
            this.bodySha256 = bodySha256;
            this.key = key;
        }

        /** Whether this receipt is signed (the caller asked for it). */
        public boolean signed() {
            return key != null;
        }

        /** The receipt's exact text (ASCII), with {@code usage}'s counts unless it is {@code null}. */
        private String text(Usage usage) {
            StringBuilder s = new StringBuilder(parts[0].length() + parts[1].length() + 192).append(parts[0])
                    .append(requestId).append("\",\"body_sha256\":\"").append(bodySha256).append(parts[1]);
            if (usage != null) {
                s.append(",\"tokens\":{\"prompt\":").append(usage.promptTokens()).append(",\"completion\":")
                        .append(usage.completionTokens()).append('}');
                if (usage.estimated()) {
                    // The counts are Veil's own because the upstream reported none.
                    s.append(",\"usage_estimated\":true");
                }
            }
            s.append('}');
            return s.toString();
        }

        /**
         * The signed receipt, with {@code usage}'s counts unless it is {@code null}.
         *
         * @throws IllegalStateException the receipt is not to be signed ({@link #signed()} is false)
         */
        public GatewayReceipt sign(Usage usage) {
            if (key == null) {
                throw new IllegalStateException("this receipt's request did not ask for a signature");
            }
            return GatewayReceipt.sign(text(usage).getBytes(StandardCharsets.US_ASCII), key);
        }

        /** Adds the receipt headers to a response's {@code headers} (where they are not set yet): signed when asked. */
        public void addHeaders(MultiMap headers, Usage usage) {
            if (key == null) {
                headers.add(HeaderNames.VEIL_RECEIPT, text(usage));
                return;
            }
            GatewayReceipt receipt = sign(usage);
            headers.add(HeaderNames.VEIL_RECEIPT, receipt.text())
                    .add(HeaderNames.VEIL_RECEIPT_SIGNATURE, receipt.signatureText());
        }

        /** Replaces the receipt headers (an answer whose counts became known before its head left). */
        public void replaceHeaders(MultiMap headers, Usage usage) {
            removeHeaders(headers);
            addHeaders(headers, usage);
        }

        /**
         * A stream's closing SSE comment lines: the receipt with {@code usage}'s counts, and its signature when the
         * caller asked for one.
         */
        public String closingComment(Usage usage) {
            if (key == null) {
                return GatewayReceipt.COMMENT + text(usage) + "\n\n";
            }
            GatewayReceipt receipt = sign(usage);
            return GatewayReceipt.COMMENT + receipt.text() + "\n" + GatewayReceipt.SIGNATURE_COMMENT
                    + receipt.signatureText() + "\n\n";
        }
    }

    /** Removes the receipt headers (an answer that turned into an error before its head left). */
    public static void removeHeaders(MultiMap headers) {
        headers.remove(HeaderNames.VEIL_RECEIPT).remove(HeaderNames.VEIL_RECEIPT_SIGNATURE);
    }
}
