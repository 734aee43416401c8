package dev.veil.gateway.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.routing.Model;
import dev.veil.gateway.routing.Route;
import dev.veil.protocol.DataPolicy;
import java.io.IOException;
import java.util.Collection;

/**
 * Writes {@code /v1/models} in OpenAI's shape, with Veil's {@code privacy} object on each model: the mode every route
 * guarantees and each route's declared data policy. A policy field the operator left out is written as {@code null}:
 * unknown, counted as the worst case.
 */
public final class ModelListWriter {

    private final JsonWriter json;

    public ModelListWriter(JsonWriter json) {
        this.json = json;
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

    private static void writeModel(JsonGenerator g, Model model) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", model.id());
        g.writeStringField("object", "model");
        g.writeNumberField("created", model.created());
        g.writeStringField("owned_by", model.ownedBy());
        if (model.description() != null) {
            g.writeStringField("description", model.description());
        }
        g.writeObjectFieldStart("privacy");
        g.writeStringField("mode", model.mode().wireName());
        g.writeArrayFieldStart("routes");
        for (Route route : model.routes()) {
            g.writeStartObject();
            g.writeStringField("route", route.name());
            g.writeStringField("mode", route.mode().wireName());
            writePolicy(g, route.policy());
            g.writeEndObject();
        }
        g.writeEndArray();
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
