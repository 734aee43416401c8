package dev.veil.protocol.attestation.snp;

import dev.veil.protocol.attestation.Check;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Checks that the endorsement key belongs to the report (as {@code google/go-sev-guest} {@code validate} does): the
 * certificate's product name is the pinned root's product line, its TCB extensions equal REPORTED_TCB and do not
 * exceed CURRENT_TCB, and a VCEK's hwID is the report's CHIP_ID (unless the host masked CHIP_ID; Turin hwIDs are the
 * first 8 bytes of CHIP_ID).
 */
final class TcbMatch {

    private TcbMatch() {
    }

    static Check check(SnpReport report, EndorsementKeyExtensions ext, SnpProduct product, SigningKeyKind kind) {
        SnpCheck c = SnpCheck.TCB_MATCH;
        if (!product.productLine().equals(ext.productLine())) {
            return c.fail(kind + " product name " + ext.productName() + " does not match the " + product.productLine()
                    + " root it chains to");
        }
        TcbVersion reported = TcbVersion.decode(report.reportedTcb(), product);
        TcbVersion certified = ext.tcb();
        if (product.fmcTcbLayout() && !certified.hasFmc()) {
            return c.fail(kind + " of a " + product.productLine() + " has no fmcSPL extension");
        }
        if (!product.fmcTcbLayout()) {
            certified = new TcbVersion(-1, certified.bootloader(), certified.tee(), certified.snp(), certified.microcode());
        }
        if (!reported.equals(certified)) {
            return c.fail("REPORTED_TCB (" + reported + ") is not the " + kind + "'s TCB (" + certified + ")");
        }
        TcbVersion current = TcbVersion.decode(report.currentTcb(), product);
        List<String> above = current.shortfallsAgainst(certified);
        if (!above.isEmpty()) {
            return c.fail("the " + kind + "'s TCB exceeds CURRENT_TCB (" + current + "): " + String.join(", ", above));
        }
        String chip;
        if (kind == SigningKeyKind.VLEK) {
            chip = "VLEK of cloud provider '" + ext.cspId() + "' (no chip id)";
        } else {
            byte[] chipId = report.chipId();
            byte[] hwid = ext.hwid();
            if (report.chipIdMasked() || allZero(chipId)) {
                chip = "CHIP_ID masked by the host, hwID not compared";
            } else if (!Arrays.equals(hwid, 0, hwid.length, chipId, 0, hwid.length)
                    || !allZero(Arrays.copyOfRange(chipId, hwid.length, chipId.length))) {
                return c.fail("CHIP_ID " + HexFormat.of().formatHex(chipId) + " is not the VCEK's hwID "
                        + HexFormat.of().formatHex(hwid));
            } else {
                chip = "CHIP_ID equals the VCEK's hwID";
            }
        }
        return c.pass("product " + ext.productName() + ", REPORTED_TCB = " + kind + " TCB (" + reported + "), " + chip);
    }

    private static boolean allZero(byte[] bytes) {
        for (byte b : bytes) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
