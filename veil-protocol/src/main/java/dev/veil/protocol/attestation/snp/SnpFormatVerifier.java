package dev.veil.protocol.attestation.snp;

import dev.veil.protocol.attestation.AttestationException;
import dev.veil.protocol.attestation.Check;
import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.attestation.FormatVerifier;
import dev.veil.protocol.attestation.Verdict;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The {@code sev-snp} {@link FormatVerifier}: the evidence's {@link Evidence#raw() raw} bytes are the attestation
 * report; its certificates (VCEK or VLEK, optionally ASK/ASVK and ARK) come from a source the caller provides, e.g. a
 * KDS cache or the node's certificate table. The report data and measurement the evidence claims are ignored; what
 * the verified report signs is returned.
 */
public final class SnpFormatVerifier implements FormatVerifier {

    private final Function<Evidence, List<X509Certificate>> certificates;
    private final SnpPolicy policy;
    private final Clock clock;
    private final SnpVerifier verifier;

    /**
     * @param certificates the certificates for a piece of evidence (may return an empty list, never null)
     * @param policy       what the report must show (the gateway's own measurement allow-list and key binding are
     *                     applied by {@link dev.veil.protocol.attestation.AttestationVerifier} afterwards)
     * @param clock        the clock certificate validity is checked against
     */
    public SnpFormatVerifier(Function<Evidence, List<X509Certificate>> certificates, SnpPolicy policy, Clock clock) {
        this(certificates, policy, clock, new SnpVerifier());
    }

    /** As above, with a given verifier (e.g. restricted to some product lines). */
    public SnpFormatVerifier(Function<Evidence, List<X509Certificate>> certificates, SnpPolicy policy, Clock clock,
                             SnpVerifier verifier) {
        this.certificates = Objects.requireNonNull(certificates, "certificates");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.verifier = Objects.requireNonNull(verifier, "verifier");
    }

    @Override
    public String format() {
        return SnpVerifier.FORMAT;
    }

    /** The full verdict for {@code evidence}, for {@code veil attest verify}. */
    public Verdict verdict(Evidence evidence) {
        List<X509Certificate> chain = certificates.apply(evidence);
        byte[] raw = evidence.raw() == null ? new byte[0] : evidence.raw();
        return verifier.verify(raw, chain == null ? List.of() : chain, policy, clock.instant());
    }

    @Override
    public Attested verify(Evidence evidence) throws AttestationException {
        Verdict verdict = verdict(evidence);
        Check failed = verdict.firstFailure();
        if (failed != null || !verdict.passed()) {
            String reason = failed == null ? "no checks were made" : failed.name() + ": " + failed.detail();
            throw new AttestationException.InvalidEvidence("sev-snp evidence refused: " + reason);
        }
        return new Attested(verdict.reportData(), verdict.measurement());
    }
}
