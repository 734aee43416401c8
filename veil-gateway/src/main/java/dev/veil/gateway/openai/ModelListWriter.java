package dev.veil.gateway.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.routing.Model;
import dev.veil.gateway.routing.Route;
import dev.veil.protocol.DataPolicy;
import dev.veil.protocol.PrivacyMode;
import dev.veil.protocol.api.Endpoint;
import java.io.IOException;
import java.util.Collection;

/**
 * Writes {@code /v1/models} in OpenAI's shape, with Veil's {@code privacy} object on each model: the mode every route
 * guarantees and each route's declared data policy. A policy field the operator left out is written as {@code null}:
 * unknown, counted as the worst case. Each model also lists the inference {@code endpoints} some route of it serves,
 * and carries Venice's {@code model_spec} fields ({@code privacy}, {@code capabilities.supportsTeeAttestation},
 * {@code capabilities.supportsE2EE}) so that clients written for Venice's API read it unchanged.
 */
public final class ModelListWriter {

    /** What the gateway verified of a node route's node, and when. */
    public record NodeVerification(dev.veil.protocol.attestation.AttestationVerifier.VerifiedNode node,
                                   java.time.Instant verifiedAt) {
    }

    private final JsonWriter json;
    private final java.util.function.Function<Route, java.util.Optional<NodeVerification>> verified;

    /** A writer for a gateway without nodes. */
    public ModelListWriter(JsonWriter json) {
        this(json, route -> java.util.Optional.empty());
    }

    /**
     * @param verified what the gateway's latest attestation of a node route's node verified (empty while it is not
     *                 admitted)
     */
    public ModelListWriter(JsonWriter json,
                           java.util.function.Function<Route, java.util.Optional<NodeVerification>> verified) {
        this.json = json;
        this.verified = verified;
    }

    /** The list of all {@code models}. */
    public byte[] list(Collection<Model> models) {
        return json.write(g -> {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (Model model : models) {
                writeModel(g, model);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    /** One model. */
    public byte[] one(Model model) {
        return json.write(g -> writeModel(g, model));
    }

    private void writeModel(JsonGenerator g, Model model) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", model.id());
        g.writeStringField("object", "model");
        g.writeNumberField("created", model.created());
        g.writeStringField("owned_by", model.ownedBy());
        if (model.description() != null) {
            g.writeStringField("description", model.description());
        }
        g.writeArrayFieldStart("endpoints");
        for (Endpoint endpoint : Endpoint.ALL) {
            if (dev.veil.gateway.policy.RoutePlanner.serves(model, endpoint.api(),
                    dev.veil.protocol.translate.Translations.via(endpoint))) {
                g.writeString(endpoint.path());
            }
        }
        g.writeEndArray();
        writeVeniceSpec(g, model);
        g.writeObjectFieldStart("privacy");
        g.writeStringField("mode", model.mode().wireName());
        g.writeArrayFieldStart("routes");
        for (Route route : model.routes()) {
            g.writeStartObject();
            g.writeStringField("route", route.name());
            g.writeStringField("mode", route.mode().wireName());
            writePolicy(g, route.policy());
            if (route.node()) {
                writeAttestation(g, verified.apply(route));
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
        g.writeEndObject();
    }

    /**
     * A node route's {@code attestation}: whether its node is admitted now and, if so, what verified: the CPU format,
     * the GPUs (count and architectures) and when. Simulated evidence says so.
     */
    private static void writeAttestation(JsonGenerator g, java.util.Optional<NodeVerification> verification)
            throws IOException {
        g.writeObjectFieldStart("attestation");
        g.writeBooleanField("verified", verification.isPresent());
        if (verification.isPresent()) {
            var node = verification.get().node();
            g.writeStringField("format", node.format());
            g.writeBooleanField("simulated", node.simulated());
            g.writeNumberField("gpu_count", node.gpus().size());
            g.writeArrayFieldStart("gpus");
            for (var gpu : node.gpus()) {
                g.writeStartObject();
                g.writeStringField("architecture", gpu.architecture());
                g.writeBooleanField("simulated", gpu.simulated());
                g.writeEndObject();
            }
            g.writeEndArray();
            if (verification.get().verifiedAt() != null) {
                g.writeStringField("verified_at", verification.get().verifiedAt().toString());
            }
        }
        g.writeEndObject();
    }

    /**
     * Venice's {@code model_spec}: {@code privacy} is {@code private} when every route keeps nothing and trains on
     * nothing (Veil's mode {@code private} or stronger), else {@code anonymized} (the provider may keep or train on
     * what it receives, without the caller's identity). TEE attestation and e2ee are offered by routes to attested
     * Veil nodes ({@code GET /v1/attestation}, the e2ee path).
     */
    private static void writeVeniceSpec(JsonGenerator g, Model model) throws IOException {
        boolean node = model.routes().stream().anyMatch(Route::node);
        g.writeObjectFieldStart("model_spec");
        g.writeStringField("privacy", model.mode().compareTo(PrivacyMode.PRIVATE) >= 0 ? "private" : "anonymized");
        g.writeObjectFieldStart("capabilities");
        g.writeBooleanField("supportsTeeAttestation", node);
        g.writeBooleanField("supportsE2EE", node);
        g.writeEndObject();
        g.writeEndObject();
    }

    /** Writes a route's data policy as the {@code policy} field, as {@code /v1/models} shows it. */
    public static void writePolicy(JsonGenerator g, DataPolicy p) throws IOException {
        g.writeObjectFieldStart("policy");
        writeNullable(g, "trains", p.trains());
        if (p.retentionDays() == null) {
            g.writeNullField("retention_days");
        } else {
            g.writeNumberField("retention_days", p.retentionDays());
        }
        writeNullable(g, "zdr", p.zdr());
        g.writeStringField("tee", p.tee() == null ? null : p.tee().wireName());
        writeNullable(g, "e2ee", p.e2ee());
        g.writeStringField("jurisdiction", p.jurisdiction());
        g.writeStringField("policy_url", p.policyUrl());
        g.writeEndObject();
    }

    private static void writeNullable(JsonGenerator g, String name, Boolean value) throws IOException {
        if (value == null) {
            g.writeNullField(name);
        } else {
            g.writeBooleanField(name, value);
        }
    }
}
