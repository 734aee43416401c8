package dev.veil.protocol.attestation.snp;

/**
 * Which key signed a report (SIGNER_INFO.SIGNING_KEY): the chip-unique VCEK, the cloud provider's VLEK, or none.
 */
public enum SigningKeyKind {
    /** Versioned Chip Endorsement Key: per chip and TCB, certified by the product's ASK. */
    VCEK,
    /** Versioned Loaded Endorsement Key: per cloud provider and TCB, certified by the product's ASVK. */
    VLEK,
    /** The report is not signed. */
    NONE;

    /** Subject common name of the endorsement key certificate: {@code SEV-VCEK} or {@code SEV-VLEK}. */
    String leafCommonName() {
        return "SEV-" + name();
    }

    /** The intermediate's role: {@code ASK} for a VCEK, {@code ASVK} for a VLEK. */
    String intermediateRole() {
        return this == VLEK ? "ASVK" : "ASK";
    }

    /** Subject common name of the intermediate for {@code product}: {@code SEV-Milan} or {@code SEV-VLEK-Milan}. */
    String intermediateCommonName(SnpProduct product) {
        return this == VLEK ? "SEV-VLEK-" + product.productLine() : "SEV-" + product.productLine();
    }

    /** The SIGNER_INFO.SIGNING_KEY encoding (bits 4:2): 0 VCEK, 1 VLEK, 7 none; 2 to 6 are reserved. */
    static SigningKeyKind fromEncoding(int value) throws SnpFormatException {
        return switch (value) {
            case 0 -> VCEK;
            case 1 -> VLEK;
            case 7 -> NONE;
            default -> throw new SnpFormatException("signer_info", "SIGNING_KEY value " + value + " is reserved");
        };
    }
}
