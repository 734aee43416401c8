package dev.veil.protocol.policy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The typed refusal for a request no route (or, on the e2ee path, not the attested node) may serve, the same on every
 * path: HTTP 403, type {@value #TYPE}, code {@value #CODE}, with an {@code excluded} list naming each route and the
 * constraint that excluded it. When compliant routes exist but all are out for failing, it is a 503
 * {@code no_healthy_route} instead: the policy was satisfiable, the providers were not available.
 */
public final class RefusalBody {

    public static final String TYPE = "privacy_policy_violation";
    public static final String CODE = "no_compliant_route";
    /** The HTTP status of a policy refusal. */
    public static final int STATUS = 403;

    private static final JsonFactory JSON = new JsonFactory();

    private RefusalBody() {
    }

    /** The status for a refusal with these exclusions. */
    public static int status(List<Exclusion> excluded, boolean onlyHealth) {
        return onlyHealth ? 503 : STATUS;
    }

    /**
     * The error body.
     *
     * @param excluded   why each route was left out
     * @param onlyHealth whether compliant routes exist but all are failing (503 {@code no_healthy_route})
     */
    public static byte[] write(List<Exclusion> excluded, boolean onlyHealth) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + 160 * excluded.size());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeObjectFieldStart("error");
            g.writeStringField("message", message(onlyHealth));
            g.writeStringField("type", onlyHealth ? "upstream_error" : TYPE);
            g.writeNullField("param");
            g.writeStringField("code", onlyHealth ? "no_healthy_route" : CODE);
            writeExcluded(g, excluded);
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The refusal's message, the same in every error shape (OpenAI's, Anthropic's). */
    public static String message(boolean onlyHealth) {
        return onlyHealth
                ? "Every route that complies with this request's privacy policy is failing and temporarily out of "
                        + "rotation; retry shortly. Veil never falls back to a weaker route."
                : "No route of the requested model complies with the effective privacy policy (the stricter of "
                        + "the API key's policy and the request's); see \"excluded\" for which constraint excluded "
                        + "each route. Relax the request's policy or ask for a model with stronger routes.";
    }

    /** The typed {@code excluded} member, the same in every error shape. */
    public static void writeExcluded(JsonGenerator g, List<Exclusion> excluded) throws IOException {
        g.writeArrayFieldStart("excluded");
        for (Exclusion e : excluded) {
            g.writeStartObject();
            g.writeStringField("model", e.model());
            g.writeStringField("route", e.route());
            g.writeStringField("constraint", e.constraint());
            g.writeStringField("reason", e.reason());
            g.writeEndObject();
        }
        g.writeEndArray();
    }
}
