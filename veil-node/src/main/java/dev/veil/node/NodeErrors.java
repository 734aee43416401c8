package dev.veil.node;

import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.e2ee.E2eeException;

/**
 * The clear errors a node answers before a response starts (docs/e2ee.md §6). Every message is Veil's own: none
 * quotes the request, an exception message, or anything decrypted.
 */
final class NodeErrors {

    private NodeErrors() {
    }

    static OpenAiError malformed(String message, String param) {
        return OpenAiError.invalidRequest(message, param, "e2ee_malformed");
    }

    static OpenAiError unsupported(String message, String param) {
        return OpenAiError.invalidRequest(message, param, "e2ee_unsupported");
    }

    static OpenAiError unknownKey() {
        return new OpenAiError(421, "This node no longer holds the key the request was encrypted to (it was rotated out); "
                + "fetch the attestation again and encrypt to the current key.", OpenAiError.INVALID_REQUEST,
                "Veil-Node-Key", "e2ee_unknown_key");
    }

    static OpenAiError engineUnavailable() {
        return new OpenAiError(502, "The node could not get an answer from its inference engine; retry with a freshly "
                + "encrypted request.", OpenAiError.UPSTREAM, null, "e2ee_engine_unavailable");
    }

    static OpenAiError evidenceUnavailable() {
        return new OpenAiError(503, "This node could not make attestation evidence (its TEE or a GPU gave no report); "
                + "retry later, and if it persists the node's operator should check its attestation set-up.",
                OpenAiError.UPSTREAM, null, "attestation_unavailable");
    }

    static OpenAiError modelNotFound() {
        return new OpenAiError(404, "This node does not serve the model named in Veil-Model.", OpenAiError.INVALID_REQUEST,
                "model", "model_not_found");
    }

    static OpenAiError tooLarge(long limit) {
        return new OpenAiError(413, "The encrypted request body is larger than this node's limit of " + limit
                + " bytes; send a smaller request.", OpenAiError.INVALID_REQUEST, null, "request_too_large");
    }

    static OpenAiError invalidNonce() {
        return OpenAiError.invalidRequest("The nonce query parameter must be 32 random bytes as 64 hex characters.",
                "nonce", "invalid_nonce");
    }

    static OpenAiError internal() {
        return new OpenAiError(500, "The node failed to handle this request; the request id identifies it in the node's "
                + "logs.", OpenAiError.SERVER, null, "internal_error");
    }

    /** The §6 error for a request that did not open. */
    static OpenAiError of(E2eeException e) {
        return switch (e) {
            case E2eeException.UnknownKey k -> unknownKey();
            case E2eeException.Unsupported u -> unsupported("The request is not encrypted with the e2ee v1 suite "
                    + "(X25519, HKDF-SHA256, AES-256-GCM).", null);
            case E2eeException.Replay r -> OpenAiError.invalidRequest("This encrypted request was already received; "
                    + "every request must be encrypted afresh.", null, "e2ee_replay");
            case E2eeException.DecryptFailed d -> OpenAiError.invalidRequest("The request did not decrypt: wrong key, "
                    + "tampered body, or the path, Veil-Model or Veil-Stream differ from what was encrypted.", null,
                    "e2ee_decrypt_failed");
            default -> malformed("The request body is not an e2ee v1 request (hdr || enc || ciphertext).", null);
        };
    }
}
