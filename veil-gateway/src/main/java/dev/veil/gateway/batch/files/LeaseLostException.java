package dev.veil.gateway.batch.files;

import java.io.IOException;

/**
 * A write for a batch was refused because this instance no longer holds the batch's lease (it stalled past the lease
 * and another instance took the batch over). The job must stop without ending the batch: the new holder finishes it.
 */
public final class LeaseLostException extends IOException {

    public LeaseLostException(String batchId) {
        super("lease on " + batchId + " lost");
    }
}
