package dev.veil.protocol.attestation.tdx;

import dev.veil.protocol.attestation.AttestationException;
import dev.veil.protocol.attestation.Check;
import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.attestation.FormatVerifier;
import dev.veil.protocol.attestation.Verdict;
import java.time.Clock;

/**
 * The {@code tdx} evidence format for {@link dev.veil.protocol.attestation.AttestationVerifier}: {@code evidence.raw()}
 * is the TDX quote; it attests its REPORTDATA and, as measurement, MRTD in lower-case hex.
 */
public final class TdxFormatVerifier implements FormatVerifier {

    private final TdxCollateral collateral;
    private final TdxPolicy policy;
    private final Clock clock;
    private final TdxVerifier verifier = new TdxVerifier();

    /**
     * @param collateral the operator's Intel PCS collateral, or null (then the policy must make collateral optional)
     * @param policy     what the quote must show
     * @param clock      the verification time source
     */
    public TdxFormatVerifier(TdxCollateral collateral, TdxPolicy policy, Clock clock) {
        if (policy == null || clock == null) {
            throw new IllegalArgumentException("a policy and a clock are required");
        }
        this.collateral = collateral;
        this.policy = policy;
        this.clock = clock;
    }

    @Override
    public String format() {
        return TdxVerifier.FORMAT;
    }

    /** The full verdict for {@code evidence}, for human-readable output. */
    public Verdict verdict(Evidence evidence) {
        return verifier.verify(evidence.raw(), collateral, policy, clock.instant());
    }

    @Override
    public Attested verify(Evidence evidence) throws AttestationException {
        if (!TdxVerifier.FORMAT.equals(evidence.format())) {
            throw new AttestationException.InvalidEvidence("evidence format '" + evidence.format() + "' is not tdx");
        }
        Verdict verdict = verdict(evidence);
        Check failed = verdict.firstFailure();
        if (failed != null || !verdict.passed()) {
            throw new AttestationException.InvalidEvidence("TDX quote refused: "
                    + (failed == null ? "no checks ran" : failed.name() + ": " + failed.detail()));
        }
        return new Attested(verdict.reportData(), verdict.measurement());
    }
}
