package dev.veil.gateway.relay;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.veil.protocol.OpenAiError;
import java.io.IOException;

/**
 * Maps an upstream's error response to the OpenAI-shaped error Veil sends the client. The upstream's own message is
 * passed to the client only for request errors (4xx other than auth), where it tells the caller what to fix; it is
 * never logged, metered or put in an exception. Errors about the operator's credential or the upstream's health get
 * Veil's own text.
 */
public final class UpstreamErrors {

    private static final int MAX_MESSAGE_CHARS = 2_000;

    private final JsonFactory json;

    public UpstreamErrors(JsonFactory json) {
        this.json = json;
    }

    /** The JSON factory errors are read with. */
    public JsonFactory json() {
        return json;
    }

    /** Maps an upstream error status and (a prefix of) its body to the error the client gets. */
    public OpenAiError map(int upstreamStatus, byte[] body) {
        return switch (upstreamStatus) {
            case 401, 403 -> new OpenAiError(502,
                    "The upstream provider refused the gateway's credential. This is a gateway configuration problem; "
                            + "tell the operator.", OpenAiError.UPSTREAM, null, "upstream_auth_failed");
            case 404 -> new OpenAiError(502,
                    "The upstream provider does not know this route's model. This is a gateway configuration problem; "
                            + "tell the operator.", OpenAiError.UPSTREAM, null, "upstream_model_not_found");
            case 429 -> new OpenAiError(429, "The upstream provider is rate limiting requests; retry after a short wait.",
                    OpenAiError.RATE_LIMIT, null, "upstream_rate_limited");
            default -> upstreamStatus >= 400 && upstreamStatus < 500
                    ? clientError(body)
                    : new OpenAiError(502, "The upstream provider failed to answer (HTTP " + upstreamStatus
                            + "); retry later.", OpenAiError.UPSTREAM, null, "upstream_error");
        };
    }

    private OpenAiError clientError(byte[] body) {
        String[] fields = readOpenAiError(body);
        String message = fields[0] == null ? "The upstream provider rejected the request as invalid."
                : "The upstream provider rejected the request: " + truncate(fields[0]);
        return new OpenAiError(400, message, OpenAiError.INVALID_REQUEST, fields[1], fields[2]);
    }

    /** Returns {message, param, code} from {@code {"error":{...}}}, each null when absent or not a string. */
    private String[] readOpenAiError(byte[] body) {
        String[] out = new String[3];
        try (JsonParser p = json.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return out;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                if (field.equals("error") && v == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String name = p.currentName();
                        JsonToken fv = p.nextToken();
                        int slot = switch (name) {
                            case "message" -> 0;
                            case "param" -> 1;
                            case "code" -> 2;
                            default -> -1;
                        };
                        if (slot >= 0 && fv == JsonToken.VALUE_STRING) {
                            out[slot] = p.getText();
                        } else {
                            p.skipChildren();
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not JSON, or not the OpenAI shape: the client gets Veil's generic text.
        }
        return out;
    }

    private static String truncate(String s) {
        return s.length() <= MAX_MESSAGE_CHARS ? s : s.substring(0, MAX_MESSAGE_CHARS) + "…";
    }
}
