package dev.veil.protocol.attestation.tdx;

import static dev.veil.protocol.attestation.tdx.TcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED;
import static dev.veil.protocol.attestation.tdx.TcbStatus.CONFIGURATION_NEEDED;
import static dev.veil.protocol.attestation.tdx.TcbStatus.OUT_OF_DATE;
import static dev.veil.protocol.attestation.tdx.TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED;
import static dev.veil.protocol.attestation.tdx.TcbStatus.REVOKED;
import static dev.veil.protocol.attestation.tdx.TcbStatus.SW_HARDENING_NEEDED;
import static dev.veil.protocol.attestation.tdx.TcbStatus.TD_RELAUNCH_ADVISED;
import static dev.veil.protocol.attestation.tdx.TcbStatus.TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
import static dev.veil.protocol.attestation.tdx.TcbStatus.UP_TO_DATE;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Computes a quote's TCB status from Intel's TCB info and QE identity, following the steps of Intel's TDX TCB info
 * documentation and Quote Verification Library ({@code TcbLevelCheck}, {@code TdxModuleCheck}, {@code TDRelaunchCheck}):
 * <ol>
 * <li>QE: the first QE identity level whose ISVSVN ≤ the QE report's ISVSVN.</li>
 * <li>Platform: going down the TCB levels, the first whose 16 SGX component SVNs and PCE SVN are ≤ those of the PCK
 * certificate (the SGX level) and, among those, the first whose TDX component SVNs are ≤ the quote's TEE_TCB_SVN
 * (from index 2 when TEE_TCB_SVN[1], the TDX module version, is non-zero).</li>
 * <li>TDX module: when TEE_TCB_SVN[1] ≠ 0, the identity {@code TDX_<TEE_TCB_SVN[1]>} and its first level with
 * ISVSVN ≤ TEE_TCB_SVN[0]; an OutOfDate or Revoked module degrades the platform status.</li>
 * <li>TDX 1.5 bodies: TDRelaunchAdvised when the platform is OutOfDate only through the running module and
 * TEE_TCB_SVN_2 shows that the up-to-date module is already loaded.</li>
 * <li>An OutOfDate or Revoked QE degrades the result.</li>
 * </ol>
 * No matching level anywhere means the TCB is not supported by this collateral (no status).
 */
public final class TcbEvaluator {

    private TcbEvaluator() {
    }

    /** The TCB status of {@code quote} whose PCK certificate has {@code pck} extensions. */
    public static TcbEvaluation evaluate(TcbInfo tcbInfo, QeIdentity qeIdentity, PckExtensions pck, TdxQuote quote) {
        int qeSvn = quote.qeReport().isvSvn();
        Optional<QeIdentity.Level> qeLevel = qeIdentity.tcbLevels().stream().filter(l -> qeSvn >= l.isvSvn()).findFirst();
        if (qeLevel.isEmpty()) {
            return TcbEvaluation.unsupported("QE ISVSVN " + qeSvn + " is below every QE identity TCB level");
        }
        byte[] tee = quote.report().teeTcbSvn();
        TcbInfo.TcbLevel sgxLevel = null;
        TcbInfo.TcbLevel tdxLevel = null;
        for (TcbInfo.TcbLevel level : tcbInfo.tcbLevels()) {
            if (atLeast(pck.sgxTcbComponents(), level.sgxComponents(), 0) && pck.pceSvn() >= level.pceSvn()) {
                if (sgxLevel == null) {
                    sgxLevel = level;
                }
                if (atLeast(unsigned(tee), level.tdxComponents(), tee[1] != 0 ? 2 : 0)) {
                    tdxLevel = level;
                    break;
                }
            }
        }
        if (sgxLevel == null) {
            return TcbEvaluation.unsupported("no TCB level matches the PCK certificate's SGX TCB components "
                    + pck.sgxTcbComponents() + " and PCE SVN " + pck.pceSvn());
        }
        if (tdxLevel == null) {
            return TcbEvaluation.unsupported("no TCB level matches TEE_TCB_SVN " + HexFormat.of().formatHex(tee));
        }
        List<String> advisories = new ArrayList<>(tdxLevel.advisoryIds());
        StringBuilder how = new StringBuilder("platform TCB level ").append(tdxLevel.tcbDate()).append(' ')
                .append(tdxLevel.status());
        TcbStatus status = tdxLevel.status();
        TcbStatus moduleStatus = null;
        if (tee[1] != 0) {
            TcbInfo.TdxModuleIdentity identity = moduleIdentity(tcbInfo, tee[1]);
            if (identity == null) {
                return TcbEvaluation.unsupported("TCB info has no TDX module identity " + moduleId(tee[1]));
            }
            int moduleSvn = tee[0] & 0xff;
            Optional<TcbInfo.ModuleTcbLevel> moduleLevel =
                    identity.tcbLevels().stream().filter(l -> moduleSvn >= l.isvSvn()).findFirst();
            if (moduleLevel.isEmpty()) {
                return TcbEvaluation.unsupported("TDX module " + identity.id() + " ISVSVN " + moduleSvn
                        + " is below every TDX module TCB level");
            }
            moduleStatus = moduleLevel.get().status();
            advisories.addAll(moduleLevel.get().advisoryIds());
            how.append(", TDX module ").append(identity.id()).append(" SVN ").append(moduleSvn).append(' ')
                    .append(moduleStatus);
            status = degrade(status, moduleStatus);
        }
        if (status != REVOKED && quote.report().type() == TdReport.TYPE_TDX15) {
            Optional<TcbStatus> relaunch = relaunch(quote.report().teeTcbSvn2(), tcbInfo, sgxLevel.status(), status,
                    moduleStatus, qeLevel.get().status());
            if (relaunch.isPresent() && relaunch.get() != status) {
                how.append(", TEE_TCB_SVN_2 shows the update is loaded");
                status = relaunch.get();
            }
        }
        advisories.addAll(qeLevel.get().advisoryIds());
        how.append(", QE ISVSVN ").append(qeSvn).append(' ').append(qeLevel.get().status());
        status = degrade(status, qeLevel.get().status());
        return new TcbEvaluation(status, how.toString(), tdxLevel.tcbDate(), advisories.stream().distinct().toList());
    }

    /** Applies an OutOfDate or Revoked component (TDX module or QE) to the platform status. */
    private static TcbStatus degrade(TcbStatus status, TcbStatus component) {
        if (component == OUT_OF_DATE) {
            if (status == UP_TO_DATE || status == SW_HARDENING_NEEDED) {
                return OUT_OF_DATE;
            }
            if (status == CONFIGURATION_NEEDED || status == CONFIGURATION_AND_SW_HARDENING_NEEDED) {
                return OUT_OF_DATE_CONFIGURATION_NEEDED;
            }
        }
        return component == REVOKED ? REVOKED : status;
    }

    private static Optional<TcbStatus> relaunch(byte[] svn2, TcbInfo tcbInfo, TcbStatus sgxStatus,
                                                TcbStatus tdxStatus, TcbStatus moduleStatus, TcbStatus qeStatus) {
        boolean sgxCurrent = sgxStatus == UP_TO_DATE || sgxStatus == SW_HARDENING_NEEDED
                || sgxStatus == CONFIGURATION_NEEDED || sgxStatus == CONFIGURATION_AND_SW_HARDENING_NEEDED;
        if (qeStatus == OUT_OF_DATE || qeStatus == REVOKED || !sgxCurrent || moduleStatus != OUT_OF_DATE
                || !(tdxStatus == OUT_OF_DATE || tdxStatus == OUT_OF_DATE_CONFIGURATION_NEEDED)
                || tcbInfo.tcbLevels().isEmpty()) {
            return Optional.empty();
        }
        TcbInfo.TcbLevel latest = tcbInfo.tcbLevels().getFirst();
        int latestModuleSvn;
        if (svn2[1] == 0) {
            latestModuleSvn = latest.tdxComponents().get(0);
        } else {
            TcbInfo.TdxModuleIdentity identity = moduleIdentity(tcbInfo, svn2[1]);
            if (identity == null || identity.tcbLevels().isEmpty()) {
                return Optional.empty();
            }
            latestModuleSvn = identity.tcbLevels().getFirst().isvSvn();
        }
        if ((svn2[0] & 0xff) >= latestModuleSvn && (svn2[2] & 0xff) >= latest.tdxComponents().get(2)) {
            return Optional.of(sgxStatus.configurationNeeded() || tdxStatus.configurationNeeded()
                    ? TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED : TD_RELAUNCH_ADVISED);
        }
        return Optional.empty();
    }

    /** The TDX module identity for module version {@code version} ({@code TDX_<2 hex digits>}), or null. */
    static TcbInfo.TdxModuleIdentity moduleIdentity(TcbInfo tcbInfo, byte version) {
        String id = moduleId(version);
        return tcbInfo.tdxModuleIdentities().stream().filter(m -> m.id().toUpperCase(Locale.ROOT).equals(id))
                .findFirst().orElse(null);
    }

    private static String moduleId(byte version) {
        return "TDX_" + HexFormat.of().withUpperCase().toHexDigits(version);
    }

    private static boolean atLeast(List<Integer> have, List<Integer> need, int from) {
        for (int i = from; i < need.size(); i++) {
            if (have.get(i) < need.get(i)) {
                return false;
            }
        }
        return true;
    }

    private static List<Integer> unsigned(byte[] b) {
        List<Integer> out = new ArrayList<>(b.length);
        for (byte x : b) {
            out.add(x & 0xff);
        }
        return out;
    }
}
