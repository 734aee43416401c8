package dev.veil.protocol.attestation.tdx;

import dev.veil.protocol.attestation.Check;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;

/** The operator's policy on the TD report's measurements and attributes. */
final class PolicyChecks {

    private static final HexFormat HEX = HexFormat.of();

    private PolicyChecks() {
    }

    /** One check per policy item; items the policy leaves open are listed as passing with "any". */
    static List<Check> checks(TdReport r, TdxPolicy policy) {
        List<Check> out = new ArrayList<>();
        String attributes = String.format("TDATTRIBUTES 0x%016x", r.tdAttributesValue());
        if (!r.debug()) {
            out.add(Check.pass(TdxChecks.DEBUG, attributes + ": not debuggable"));
        } else if (policy.allowDebug()) {
            out.add(Check.pass(TdxChecks.DEBUG, attributes + ": DEBUGGABLE TD, allowed only because the policy says so"));
        } else {
            out.add(Check.fail(TdxChecks.DEBUG, attributes + ": the TD is debuggable (DEBUG bit 0 set), so its memory"
                    + " and secrets are open to the host; refused unless the policy allows debug TDs"));
        }
        out.add(oneOf(TdxChecks.MRTD, r.mrTdHex(), policy.allowedMrTd()));
        for (var e : new TreeMap<>(policy.expectedRtmrs()).entrySet()) {
            String actual = HEX.formatHex(r.rtmr(e.getKey()));
            out.add(equal(TdxChecks.rtmr(e.getKey()), actual, e.getValue()));
        }
        if (policy.expectedXfam() != null) {
            out.add(equal(TdxChecks.XFAM, HEX.formatHex(r.xfam()), policy.expectedXfam()));
        }
        if (!policy.allowedMrSeam().isEmpty()) {
            out.add(oneOf(TdxChecks.MRSEAM, HEX.formatHex(r.mrSeam()), policy.allowedMrSeam()));
        }
        if (policy.requiredReportData() != null) {
            boolean same = MessageDigest.isEqual(r.reportData(), HEX.parseHex(policy.requiredReportData()));
            out.add(same ? Check.pass(TdxChecks.REPORT_DATA, "as required")
                    : Check.fail(TdxChecks.REPORT_DATA, "REPORTDATA " + HEX.formatHex(r.reportData())
                            + " is not the required " + policy.requiredReportData()));
        }
        return out;
    }

    private static Check oneOf(String name, String actual, java.util.Set<String> allowed) {
        if (allowed.isEmpty()) {
            return Check.pass(name, actual + " (the policy accepts any)");
        }
        return allowed.contains(actual) ? Check.pass(name, actual + " is allowed")
                : Check.fail(name, actual + " is not allowed by the policy");
    }

    private static Check equal(String name, String actual, String expected) {
        return actual.equals(expected) ? Check.pass(name, actual + " as expected")
                : Check.fail(name, actual + " is not the expected " + expected);
    }
}
