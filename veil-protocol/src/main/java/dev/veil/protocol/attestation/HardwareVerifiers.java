package dev.veil.protocol.attestation;

import dev.veil.protocol.attestation.snp.SnpCertificateTable;
import dev.veil.protocol.attestation.snp.SnpFormatVerifier;
import dev.veil.protocol.attestation.snp.SnpPolicy;
import dev.veil.protocol.attestation.tdx.TdxCollateral;
import dev.veil.protocol.attestation.tdx.TdxFormatVerifier;
import dev.veil.protocol.attestation.tdx.TdxPolicy;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The hardware format verifiers a gateway or client registers with {@link AttestationVerifier}, so evidence is checked
 * by the verifier of its format. SEV-SNP takes its certificates from the evidence (the host's certificate table);
 * TDX needs operator-supplied collateral, and without it TDX evidence is refused (fail closed), not waved through.
 */
public final class HardwareVerifiers {

    private HardwareVerifiers() {
    }

    /**
     * @param tdxCollateral Intel collateral (TCB info, QE identity, CRLs), or null to refuse TDX evidence
     */
    public static List<FormatVerifier> create(SnpPolicy snp, TdxCollateral tdxCollateral, TdxPolicy tdx, Clock clock) {
        List<FormatVerifier> out = new ArrayList<>(2);
        out.add(new SnpFormatVerifier(evidence -> SnpCertificateTable.parse(evidence.certificates()), snp, clock));
        if (tdxCollateral != null) {
            out.add(new TdxFormatVerifier(tdxCollateral, tdx, clock));
        }
        return out;
    }

    /** Default policies (debug refused, VMPL 0, TCB UpToDate) with the system clock. */
    public static List<FormatVerifier> defaults(TdxCollateral tdxCollateral) {
        return create(SnpPolicy.defaults(), tdxCollateral, TdxPolicy.DEFAULT, Clock.systemUTC());
    }
}
