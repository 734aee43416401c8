package dev.veil.protocol.attestation.snp;

import dev.veil.protocol.attestation.Check;

/**
 * The checks of {@link SnpVerifier}, in the order they run; their {@link #label()} is the {@link Check#name()} in a
 * verdict. The evidence checks stop at the first failure (nothing after it can be trusted); the policy checks, from
 * {@link #SIGNING_KEY} on, all run once the evidence is authentic.
 */
public enum SnpCheck {
    /** The report is 1184 bytes of a supported version with well-formed fields. */
    REPORT_FORMAT("report format"),
    /** The chain has one VCEK/VLEK certificate of the kind that signed the report, with AMD names and extensions. */
    CERTIFICATES("endorsement key certificate"),
    /** The product's AMD root key is pinned, and a presented ARK is that key. */
    ROOT_PINNED("pinned AMD root"),
    /** VCEK/VLEK, ASK/ASVK and ARK link by name and RSASSA-PSS/SHA-384 signature to the pinned ARK. */
    CHAIN_SIGNATURES("certificate chain signatures"),
    /** Every certificate of the chain is valid at the verification time. */
    VALIDITY("certificate validity"),
    /** The report's ECDSA P-384/SHA-384 signature verifies with the VCEK/VLEK key. */
    REPORT_SIGNATURE("report signature"),
    /** The key's product, TCB and hardware id are the report's. */
    TCB_MATCH("endorsement key matches report"),
    /** Policy: the kind of signing key is allowed. */
    SIGNING_KEY("signing key allowed"),
    /** Policy: REPORTED_TCB is at least the minimum. */
    MINIMUM_TCB("minimum TCB"),
    /** Policy: the guest is not debuggable, unless allowed. */
    DEBUG("debug"),
    /** Policy: the report was requested at an allowed VMPL. */
    VMPL("VMPL"),
    /** Policy: the measurement is allowed. */
    MEASUREMENT("measurement"),
    /** Policy: REPORT_DATA is the expected value. */
    REPORT_DATA("report data");

    private final String label;

    SnpCheck(String label) {
        this.label = label;
    }

    /** The check's name in a verdict. */
    public String label() {
        return label;
    }

    Check pass(String detail) {
        return Check.pass(label, detail);
    }

    Check fail(String detail) {
        return Check.fail(label, detail);
    }

    /** Whether {@code check} is this check. */
    public boolean is(Check check) {
        return check != null && label.equals(check.name());
    }
}
