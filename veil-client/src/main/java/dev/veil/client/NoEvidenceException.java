package dev.veil.client;

import dev.veil.protocol.attestation.AttestationException;

/**
 * The gateway (or node) offered no evidence at all for a model: no attested node serves it with e2ee. Nothing was
 * sent; retry later or choose another model.
 */
public final class NoEvidenceException extends AttestationException {

    /** @param model the model id that had no node evidence */
    public NoEvidenceException(String model) {
        super("no node evidence was offered for model '" + model + "': no attested node serves it with e2ee");
    }

    @Override
    public String code() {
        return "attestation_no_evidence";
    }
}
