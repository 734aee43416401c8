package dev.veil.protocol.attestation.snp;

import dev.veil.protocol.attestation.Check;
import dev.veil.protocol.attestation.Verdict;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Verifies an AMD SEV-SNP attestation report with its certificates against pinned AMD roots and an
 * {@link SnpPolicy}. Bad evidence never throws: the {@link Verdict} lists each {@link SnpCheck} made with its reason,
 * stopping after the first failed evidence check; the policy checks all run once the evidence is authentic.
 *
 * <p>Thread-safe and stateless apart from its trust store.
 */
public final class SnpVerifier {

    /** The evidence format this verifier handles. */
    public static final String FORMAT = "sev-snp";

    private final AmdTrustStore trust;

    /** A verifier trusting AMD's pinned roots for Milan, Genoa and Turin. */
    public SnpVerifier() {
        this(AmdTrustStore.pinned());
    }

    /** A verifier trusting {@code trust}. */
    public SnpVerifier(AmdTrustStore trust) {
        this.trust = Objects.requireNonNull(trust, "trust");
    }

    /** {@link #verify(byte[], List, SnpPolicy, Instant)} at the current time. */
    public Verdict verify(byte[] report, List<X509Certificate> chain, SnpPolicy policy) {
        return verify(report, chain, policy, Instant.now());
    }

    /**
     * Verifies {@code report}.
     *
     * @param report the raw 1184-byte attestation report
     * @param chain  the VCEK (or VLEK) certificate and, optionally, the ASK (or ASVK) and ARK, in any order; missing
     *               ones are taken from the trust store
     * @param policy what the report must show
     * @param at     the time certificates must be valid at
     * @return every check made; {@link Verdict#passed()} only if all passed. The verdict's report data and
     *         measurement are the report's as parsed (empty when it does not parse) and are trustworthy only when
     *         the verdict passed
     */
    public Verdict verify(byte[] report, List<X509Certificate> chain, SnpPolicy policy, Instant at) {
        Objects.requireNonNull(report, "report");
        List<X509Certificate> certificates = List.copyOf(Objects.requireNonNull(chain, "chain"));
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(at, "at");

        List<Check> checks = new ArrayList<>();
        SnpReport parsed;
        try {
            parsed = SnpReport.parse(report);
        } catch (SnpFormatException e) {
            checks.add(SnpCheck.REPORT_FORMAT.fail(e.getMessage()));
            return new Verdict(FORMAT, checks, new byte[0], "");
        }
        checks.add(SnpCheck.REPORT_FORMAT.pass("version " + parsed.version() + ", signed by the " + parsed.signingKey()
                + ", VMPL " + parsed.vmpl() + parsed.cpuidProduct().map(p -> ", CPUID " + p.productLine()).orElse("")));
        byte[] reportData = parsed.reportData();
        String measurement = parsed.measurementHex();

        CertificatePath.Step<CertificatePath.Presented> identified = CertificatePath.identify(parsed, certificates);
        checks.add(identified.check());
        if (identified.value() == null) {
            return new Verdict(FORMAT, checks, reportData, measurement);
        }
        CertificatePath.Presented presented = identified.value();

        CertificatePath.Step<AmdTrustStore.ProductRoots> root = CertificatePath.rootPinned(presented, trust);
        checks.add(root.check());
        if (root.value() == null) {
            return new Verdict(FORMAT, checks, reportData, measurement);
        }

        CertificatePath.Step<X509Certificate> linked = CertificatePath.signatures(presented, root.value());
        checks.add(linked.check());
        if (linked.value() == null) {
            return new Verdict(FORMAT, checks, reportData, measurement);
        }

        List<Check> evidence = List.of(
                CertificatePath.validity(CertificatePath.validityPath(presented, linked.value(), root.value().ark()), at),
                ReportSignature.verify(parsed, presented.leaf().getPublicKey(), presented.kind()),
                TcbMatch.check(parsed, presented.extensions(), presented.product(), presented.kind()));
        for (Check check : evidence) {
            checks.add(check);
            if (!check.passed()) {
                return new Verdict(FORMAT, checks, reportData, measurement);
            }
        }
        checks.addAll(PolicyChecks.check(parsed, presented.product(), policy));
        return new Verdict(FORMAT, checks, reportData, measurement);
    }
}
