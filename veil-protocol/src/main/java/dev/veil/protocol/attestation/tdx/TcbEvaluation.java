package dev.veil.protocol.attestation.tdx;

import java.util.List;

/**
 * The TCB status of a quote's platform, TDX module and Quoting Enclave, or why none applies.
 *
 * @param status      the converged status, or null when the TCB is not supported by the collateral (no TCB level
 *                    matches, or no identity for the TDX module version)
 * @param detail      how the status was reached, or why there is none
 * @param tcbDate     the matched platform TCB level's date (null when unsupported)
 * @param advisoryIds Intel security advisories of the matched levels
 */
public record TcbEvaluation(TcbStatus status, String detail, String tcbDate, List<String> advisoryIds) {

    public TcbEvaluation {
        advisoryIds = List.copyOf(advisoryIds);
    }

    static TcbEvaluation unsupported(String why) {
        return new TcbEvaluation(null, why, null, List.of());
    }

    /** Whether a TCB level matched. */
    public boolean supported() {
        return status != null;
    }
}
