package dev.veil.protocol.attestation.tdx;

import dev.veil.protocol.attestation.Check;
import dev.veil.protocol.attestation.Verdict;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Verifies an Intel TDX quote (v4 or v5) against the pinned Intel SGX Root CA, the operator's Intel PCS collateral and
 * a {@link TdxPolicy}, and lists every check in a {@link Verdict}. Checks run in the order of {@link TdxChecks};
 * the first failed check ends the verification (later checks are not listed). Bad evidence or collateral never
 * throws: it fails a check with the reason.
 *
 * <p>Without collateral the TCB status, the CRLs and the QE identity cannot be checked; the {@link TdxChecks#TCB_STATUS}
 * check then says "not checked" and fails unless {@link TdxPolicy#collateralOptional()}.
 */
public final class TdxVerifier {

    /** The evidence format name. */
    public static final String FORMAT = "tdx";

    @FunctionalInterface
    private interface Step {
        String run(Context c) throws CheckFailed, GeneralSecurityException, TdxFormatException;
    }

    /** Verifies at the current time. */
    public Verdict verify(byte[] quote, TdxCollateral collateral, TdxPolicy policy) {
        return verify(quote, collateral, policy, Instant.now());
    }

    /**
     * Verifies {@code quote} as of {@code at}: certificates, CRLs and collateral must all be valid at that instant.
     *
     * @param collateral the operator's collateral, or null (see the class comment)
     */
    public Verdict verify(byte[] quote, TdxCollateral collateral, TdxPolicy policy, Instant at) {
        if (policy == null || at == null) {
            throw new IllegalArgumentException("a policy and a verification time are required");
        }
        List<Check> checks = new ArrayList<>();
        TdxQuote q;
        try {
            q = TdxQuote.parse(quote);
        } catch (TdxFormatException e) {
            checks.add(Check.fail(TdxChecks.QUOTE_FORMAT, e.getMessage()));
            return new Verdict(FORMAT, checks, new byte[0], "");
        }
        checks.add(Check.pass(TdxChecks.QUOTE_FORMAT, describe(q)));
        Context c = new Context(q, collateral, policy, at);
        if (run(c, checks, steps(collateral != null))) {
            if (collateral == null) {
                checks.add(policy.collateralOptional()
                        ? Check.pass(TdxChecks.TCB_STATUS, "NOT CHECKED: no collateral supplied and the policy makes"
                                + " it optional (TCB status, CRLs and QE identity were not checked)")
                        : Check.fail(TdxChecks.TCB_STATUS, "not checked: no collateral supplied (TCB info, QE"
                                + " identity, CRLs) and the policy requires it"));
            }
            if (checks.getLast().passed()) {
                for (Check p : PolicyChecks.checks(q.report(), policy)) {
                    checks.add(p);
                    if (!p.passed()) {
                        break;
                    }
                }
            }
        }
        return new Verdict(FORMAT, checks, q.report().reportData(), q.report().mrTdHex());
    }

    private static Map<String, Step> steps(boolean collateral) {
        Map<String, Step> steps = new LinkedHashMap<>();
        steps.put(TdxChecks.QE_VENDOR, QuoteChecks::qeVendor);
        steps.put(TdxChecks.PCK_CHAIN, QuoteChecks::pckChain);
        steps.put(TdxChecks.PCK_EXTENSIONS, QuoteChecks::pckExtensions);
        steps.put(TdxChecks.QE_REPORT_SIGNATURE, QuoteChecks::qeReportSignature);
        steps.put(TdxChecks.QE_REPORT_DATA, QuoteChecks::qeReportData);
        steps.put(TdxChecks.QUOTE_SIGNATURE, QuoteChecks::quoteSignature);
        if (collateral) {
            steps.put(TdxChecks.ROOT_CA_CRL, CollateralChecks::rootCaCrl);
            steps.put(TdxChecks.PCK_CRL, CollateralChecks::pckCrl);
            steps.put(TdxChecks.TCB_INFO_SIGNATURE, CollateralChecks::tcbInfoSignature);
            steps.put(TdxChecks.TCB_INFO_VALIDITY, CollateralChecks::tcbInfoValidity);
            steps.put(TdxChecks.QE_IDENTITY_SIGNATURE, CollateralChecks::qeIdentitySignature);
            steps.put(TdxChecks.QE_IDENTITY_VALIDITY, CollateralChecks::qeIdentityValidity);
            steps.put(TdxChecks.FMSPC, CollateralChecks::fmspc);
            steps.put(TdxChecks.TDX_MODULE, CollateralChecks::tdxModule);
            steps.put(TdxChecks.QE_IDENTITY, CollateralChecks::qeIdentity);
            steps.put(TdxChecks.TCB_STATUS, CollateralChecks::tcbStatus);
        }
        return steps;
    }

    /** Runs the steps until one fails; true when all passed. */
    private static boolean run(Context c, List<Check> checks, Map<String, Step> steps) {
        for (Map.Entry<String, Step> step : steps.entrySet()) {
            try {
                checks.add(Check.pass(step.getKey(), step.getValue().run(c)));
            } catch (CheckFailed | TdxFormatException e) {
                checks.add(Check.fail(step.getKey(), e.getMessage()));
                return false;
            } catch (GeneralSecurityException | RuntimeException e) {
                checks.add(Check.fail(step.getKey(), e.getClass().getSimpleName() + ": " + e.getMessage()));
                return false;
            }
        }
        return true;
    }

    private static String describe(TdxQuote q) {
        String body = q.report().type() == TdReport.TYPE_TDX15 ? "TDX 1.5" : "TDX 1.0";
        return "TDX quote v" + q.version() + ", " + body + " TD report, MRTD " + q.report().mrTdHex()
                + ", report data " + HexFormat.of().formatHex(q.report().reportData())
                + (q.trailingBytes() > 0 ? ", " + q.trailingBytes() + " unsigned trailing bytes ignored" : "");
    }
}
