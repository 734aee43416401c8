package dev.veil.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.e2ee.E2eeException;
import java.io.IOException;
import java.util.Optional;

/**
 * A clear, OpenAI-shaped error answered by the gateway or the node instead of an encrypted answer: for example 401
 * {@code invalid_api_key}, 403 {@code privacy_policy_violation} or {@code no_compliant_route}, 404
 * {@code model_not_found}, 429 {@code rate_limit_exceeded}, 502 {@code e2ee_engine_unavailable}. Such errors carry no
 * content. {@link #error()} is the error object as received (status, message, type, param, code).
 *
 * <p>The e2ee refusals of docs/e2ee.md §6 ({@code e2ee_unsupported}, {@code e2ee_malformed},
 * {@code e2ee_decrypt_failed}, {@code e2ee_replay}, {@code e2ee_unknown_key}) reach callers of {@link VeilClient} as
 * the matching {@link E2eeException} subclass whose cause is this exception (see {@link #asE2eeFailure()}).
 */
public final class GatewayException extends Exception {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final transient OpenAiError error;
    private final transient byte[] body;

    /** @param error the error as answered, with its HTTP status */
    public GatewayException(OpenAiError error) {
        this(error, null);
    }

    private GatewayException(OpenAiError error, byte[] body) {
        super("HTTP " + error.httpStatus() + " " + error.type() + (error.code() == null ? "" : " (" + error.code() + ")")
                + ": " + error.message());
        this.error = error;
        this.body = body == null ? error.toJson() : body.clone();
    }

    /**
     * Reads an error answer. A body that is not an OpenAI error object still gives an exception with the status, type
     * {@code upstream_error} and code {@code gateway_error}.
     *
     * @param status the HTTP status
     * @param body   the response body (may be empty)
     */
    public static GatewayException fromResponse(int status, byte[] body) {
        try {
            JsonNode root = JSON.readTree(body);
            JsonNode e = root == null ? null : root.get("error");
            if (e != null && e.isObject()) {
                return new GatewayException(new OpenAiError(status,
                        text(e, "message", "The gateway answered HTTP " + status + "."),
                        text(e, "type", OpenAiError.UPSTREAM), text(e, "param", null), text(e, "code", null)), body);
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: fall through
        }
        return new GatewayException(new OpenAiError(status, "The gateway answered HTTP " + status
                + " without an OpenAI error body.", OpenAiError.UPSTREAM, null, "gateway_error"));
    }

    private static String text(JsonNode node, String field, String fallback) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? fallback : v.asText();
    }

    /**
     * The error body as answered (a copy): for a policy refusal it holds the {@code excluded} list naming which
     * constraint excluded which route or node. For a body that was not an OpenAI error, the error written as one.
     */
    public byte[] body() {
        return body.clone();
    }

    /** The error as received. */
    public OpenAiError error() {
        return error;
    }

    /** The HTTP status. */
    public int status() {
        return error.httpStatus();
    }

    /** The OpenAI error type, e.g. {@code authentication_error}. */
    public String type() {
        return error.type();
    }

    /** The machine-readable code, e.g. {@code privacy_policy_violation}, or {@code null}. */
    public String code() {
        return error.code();
    }

    /** The request field at fault, or {@code null}. */
    public String param() {
        return error.param();
    }

    /** The error's human-readable message, as answered. */
    public String errorMessage() {
        return error.message();
    }

    /** Whether this is {@code e2ee_unknown_key} (HTTP 421): the node key rotated, attest again. */
    public boolean unknownKey() {
        return "e2ee_unknown_key".equals(error.code()) || (error.code() == null && error.httpStatus() == 421);
    }

    /**
     * The protocol failure this error reports, when its code is one of docs/e2ee.md §6's e2ee refusals: the matching
     * {@link E2eeException} subclass, with this exception as its cause.
     */
    public Optional<E2eeException> asE2eeFailure() {
        String code = error.code();
        if (code == null) {
            return unknownKey() ? Optional.of(withCause(new E2eeException.UnknownKey())) : Optional.empty();
        }
        String why = "the node refused the encrypted request (HTTP " + error.httpStatus() + " " + code + "): "
                + error.message();
        E2eeException mapped = switch (code) {
            case "e2ee_unsupported" -> withCause(new E2eeException.Unsupported(why));
            case "e2ee_malformed" -> withCause(new E2eeException.Malformed(why));
            case "e2ee_decrypt_failed" -> new E2eeException.DecryptFailed(why, this);
            case "e2ee_replay" -> withCause(new E2eeException.Replay());
            case "e2ee_unknown_key" -> withCause(new E2eeException.UnknownKey());
            default -> null;
        };
        return Optional.ofNullable(mapped);
    }

    private E2eeException withCause(E2eeException e) {
        e.initCause(this);
        return e;
    }
}
