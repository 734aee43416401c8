package dev.veil.client.proxy;

import dev.veil.client.GatewayException;
import dev.veil.client.NoEvidenceException;
import dev.veil.client.TransparencyException;
import dev.veil.http.BoundedBody;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.attestation.AttestationException;
import dev.veil.protocol.e2ee.E2eeException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.TimeoutException;

/** Turns a failure into the OpenAI-shaped error the local client gets. Messages carry no content. */
final class ProxyErrors {

    static final String ATTESTATION = "attestation_error";
    static final String E2EE = "e2ee_error";
    static final String TRANSPARENCY = "transparency_error";

    private ProxyErrors() {
    }

    /**
     * The gateway's refusal of an attestation request for a model the proxy cannot serve, worded for the proxy's
     * user: the proxy sends only end-to-end encrypted requests, so a model without attested Veil nodes is a client
     * error to fix (another model), not an outage to retry. {@code null} for any other refusal.
     */
    static OpenAiError notServedByTheProxy(GatewayException refused, String model) {
        String code = refused.code();
        if ("model_not_attested".equals(code)) {
            return new OpenAiError(400, "veil proxy sends only end-to-end encrypted requests, and the gateway serves "
                    + "this model without attested Veil nodes, so it cannot be used through the proxy. GET /v1/models "
                    + "on the proxy lists the models it can serve; use the gateway directly for the others.",
                    OpenAiError.INVALID_REQUEST, "model", "model_not_e2ee");
        }
        if ("model_not_found".equals(code) && refused.status() == 404) {
            return new OpenAiError(404, "The gateway has no such model for this API key. GET /v1/models on the proxy "
                    + "lists the models it can serve.", OpenAiError.INVALID_REQUEST, "model", "model_not_found");
        }
        return null;
    }

    static OpenAiError of(Throwable failure, String gateway) {
        if (failure instanceof BoundedBody.TooLarge) {
            return new OpenAiError(413, "The request body is larger than the proxy's limit of "
                    + ProxyHandler.MAX_REQUEST_BYTES + " bytes; send a smaller request.", OpenAiError.INVALID_REQUEST,
                    null, "request_too_large");
        }
        if (failure instanceof BoundedBody.BadLength) {
            return OpenAiError.invalidRequest("The Content-Length header is not a number.", null,
                    "invalid_content_length");
        }
        if (failure instanceof AttestationException.SimulatedNotAllowed e) {
            return new OpenAiError(502, "The node's attestation evidence is simulated (no hardware TEE); start the "
                    + "proxy with --allow-simulated to accept it for development.", ATTESTATION, null, e.code());
        }
        if (failure instanceof NoEvidenceException e) {
            return new OpenAiError(502, "No attested node serves this model with end-to-end encryption right now ("
                    + e.getMessage() + "); the proxy sent nothing.", ATTESTATION, "model", e.code());
        }
        if (failure instanceof TransparencyException e) {
            return transparency(e);
        }
        if (failure instanceof AttestationException e) {
            return new OpenAiError(502, "The node's attestation did not verify against the proxy's policy: "
                    + e.getMessage() + ". The proxy sent the node nothing.", ATTESTATION, null, e.code());
        }
        if (failure instanceof GatewayException e) {
            return e.error();
        }
        if (failure instanceof E2eeException e) {
            if (e.getCause() instanceof GatewayException g) {
                return g.error();
            }
            return e2ee(e);
        }
        if (failure instanceof HttpTimeoutException || failure instanceof TimeoutException) {
            return new OpenAiError(504, "The gateway at " + gateway + " did not answer in time; retry later.",
                    OpenAiError.UPSTREAM, null, "gateway_timeout");
        }
        if (failure instanceof ConnectException) {
            return new OpenAiError(502, "The proxy could not connect to the gateway at " + gateway
                    + "; check --gateway and that the gateway is running.", OpenAiError.UPSTREAM, null,
                    "gateway_unreachable");
        }
        if (failure instanceof IOException || failure instanceof io.vertx.core.VertxException) {
            return new OpenAiError(502, "The connection to the gateway at " + gateway + " failed; retry later.",
                    OpenAiError.UPSTREAM, null, "gateway_connection_failed");
        }
        return new OpenAiError(500, "The proxy failed to handle this request (" + failure.getClass().getSimpleName()
                + ").", OpenAiError.SERVER, null, "internal_error");
    }

    /** One body per case, so that a user (and a monitor) can tell an unpublished node from a forged or forked log. */
    static OpenAiError transparency(TransparencyException e) {
        String message = switch (e) {
            case TransparencyException.NotInLog n -> "The gateway's transparency log does not publish this node ("
                    + n.getMessage() + "). A node missing from the log may be shown to you alone, so the proxy sent "
                    + "it nothing.";
            case TransparencyException.BadTreeHead b -> "The transparency log's tree head does not verify ("
                    + b.getMessage() + "). Check --transparency-log-key against the gateway's published log key; the "
                    + "proxy sent nothing.";
            case TransparencyException.SplitView v -> "SPLIT VIEW: the gateway's transparency log is not consistent "
                    + "with the tree head this proxy accepted before (" + v.getMessage() + "). The operator may be "
                    + "showing you a different log than everyone else; the proxy sent nothing. Keep the tree head file "
                    + "as evidence.";
        };
        return new OpenAiError(502, message, TRANSPARENCY, null, e.code());
    }

    static OpenAiError e2ee(E2eeException e) {
        return new OpenAiError(502, "The end-to-end encrypted exchange with the node failed: " + e.getMessage()
                + ". No part of the answer was released as complete.", E2EE, null, e.code());
    }
}
