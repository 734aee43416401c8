package dev.veil.protocol.attestation.snp;

import dev.veil.protocol.attestation.Check;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/** The {@link SnpPolicy} checks of an authentic report, each reported whether it passes or not. */
final class PolicyChecks {

    private PolicyChecks() {
    }

    static List<Check> check(SnpReport report, SnpProduct product, SnpPolicy policy) {
        return List.of(signingKey(report, policy), minimumTcb(report, product, policy), debug(report, policy),
                vmpl(report, policy), measurement(report, policy), reportData(report, policy));
    }

    static Check signingKey(SnpReport report, SnpPolicy policy) {
        SigningKeyKind kind = report.signingKey();
        return policy.allowedSigningKeys().contains(kind)
                ? SnpCheck.SIGNING_KEY.pass(kind + " is allowed")
                : SnpCheck.SIGNING_KEY.fail("the report is signed by the " + kind + "; the policy allows "
                        + policy.allowedSigningKeys());
    }

    static Check minimumTcb(SnpReport report, SnpProduct product, SnpPolicy policy) {
        TcbVersion reported = TcbVersion.decode(report.reportedTcb(), product);
        if (policy.minimumTcb() == null) {
            return SnpCheck.MINIMUM_TCB.pass("no minimum required (REPORTED_TCB " + reported + ")");
        }
        List<String> shortfalls = reported.shortfallsAgainst(policy.minimumTcb());
        return shortfalls.isEmpty()
                ? SnpCheck.MINIMUM_TCB.pass("REPORTED_TCB " + reported + " meets " + policy.minimumTcb())
                : SnpCheck.MINIMUM_TCB.fail("REPORTED_TCB " + reported + " is below the minimum: "
                        + String.join(", ", shortfalls));
    }

    static Check debug(SnpReport report, SnpPolicy policy) {
        if (!report.policy().debug()) {
            return SnpCheck.DEBUG.pass("the guest policy does not allow debugging");
        }
        return policy.allowDebug()
                ? SnpCheck.DEBUG.pass("the guest policy allows debugging (accepted: the policy explicitly allows debug)")
                : SnpCheck.DEBUG.fail("the guest policy allows debugging (POLICY bit 19): the host can read and write "
                        + "guest memory; refused unless debug is explicitly allowed");
    }

    static Check vmpl(SnpReport report, SnpPolicy policy) {
        long vmpl = report.vmpl();
        if (policy.requiredVmpl() >= 0 && vmpl != policy.requiredVmpl()) {
            return SnpCheck.VMPL.fail("the report was requested at VMPL " + vmpl + "; the policy requires VMPL "
                    + policy.requiredVmpl());
        }
        if (vmpl > policy.maxVmpl()) {
            return SnpCheck.VMPL.fail("the report was requested at VMPL " + vmpl + "; the policy allows at most VMPL "
                    + policy.maxVmpl());
        }
        return SnpCheck.VMPL.pass("VMPL " + vmpl);
    }

    static Check measurement(SnpReport report, SnpPolicy policy) {
        String m = report.measurementHex();
        if (policy.allowedMeasurements().isEmpty()) {
            return SnpCheck.MEASUREMENT.pass(m + " (no allow-list)");
        }
        return policy.allowedMeasurements().contains(m)
                ? SnpCheck.MEASUREMENT.pass(m + " is allowed")
                : SnpCheck.MEASUREMENT.fail(m + " is not on the policy's allow-list");
    }

    static Check reportData(SnpReport report, SnpPolicy policy) {
        byte[] required = policy.requiredReportData();
        if (required == null) {
            return SnpCheck.REPORT_DATA.pass("not required by the policy");
        }
        return MessageDigest.isEqual(required, report.reportData())
                ? SnpCheck.REPORT_DATA.pass("REPORT_DATA equals the expected value")
                : SnpCheck.REPORT_DATA.fail("REPORT_DATA " + HexFormat.of().formatHex(report.reportData())
                        + " is not the expected " + HexFormat.of().formatHex(required));
    }
}
