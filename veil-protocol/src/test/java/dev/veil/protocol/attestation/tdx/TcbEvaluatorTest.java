package dev.veil.protocol.attestation.tdx;

import static dev.veil.protocol.attestation.tdx.TcbStatus.CONFIGURATION_NEEDED;
import static dev.veil.protocol.attestation.tdx.TcbStatus.OUT_OF_DATE;
import static dev.veil.protocol.attestation.tdx.TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED;
import static dev.veil.protocol.attestation.tdx.TcbStatus.REVOKED;
import static dev.veil.protocol.attestation.tdx.TcbStatus.SW_HARDENING_NEEDED;
import static dev.veil.protocol.attestation.tdx.TcbStatus.TD_RELAUNCH_ADVISED;
import static dev.veil.protocol.attestation.tdx.TcbStatus.UP_TO_DATE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * TCB matching on real quotes and TCB info. The status variants that no public sample shows (OutOfDate, Revoked ...)
 * are produced by editing the parsed levels in memory; such edited TCB info is never signed, so these tests exercise
 * the matching and the policy decision only.
 */
class TcbEvaluatorTest {

    @Test
    void realSamplesMatchAsIntelsAlgorithmSays() throws Exception {
        Fixture go5 = Fixture.of(Samples.GO_V5, Samples.QVL_COLLATERAL_2026);
        TcbEvaluation e = TcbEvaluator.evaluate(TcbInfo.parse(Samples.bytes(Samples.GO_TCB_INFO_V5)), go5.qe, go5.pck,
                go5.quote);
        assertThat(e.status()).isEqualTo(UP_TO_DATE);
        assertThat(e.tcbDate()).isEqualTo("2024-11-13T00:00:00Z");
        assertThat(e.detail()).contains("TDX module TDX_01 SVN 11 UpToDate", "QE ISVSVN 7 UpToDate");

        Fixture qvl = Fixture.of(Samples.QVL_V4, Samples.QVL_COLLATERAL_2025);
        assertThat(qvl.evaluate(UnaryOperator.identity()).status()).isEqualTo(UP_TO_DATE);

        Fixture go4 = Fixture.of(Samples.GO_V4, Samples.GO_COLLATERAL);
        TcbEvaluation none = go4.evaluate(UnaryOperator.identity());
        assertThat(none.supported()).isFalse();
        assertThat(none.detail()).contains("SGX TCB components [3, 3, 2, 2, 2, 1, 0, 2");
    }

    @Test
    void outOfDateAndRevokedPlatformLevels() throws Exception {
        Fixture qvl = Fixture.of(Samples.QVL_V4, Samples.QVL_COLLATERAL_2025);
        assertThat(qvl.evaluate(t -> platformStatus(t, OUT_OF_DATE)).status()).isEqualTo(OUT_OF_DATE);
        assertThat(qvl.evaluate(t -> platformStatus(t, REVOKED)).status()).isEqualTo(REVOKED);
        assertThat(qvl.evaluate(t -> platformStatus(t, SW_HARDENING_NEEDED)).status()).isEqualTo(SW_HARDENING_NEEDED);
    }

    @Test
    void anOutOfDateTdxModuleDegradesThePlatformStatus() throws Exception {
        Fixture qvl = Fixture.of(Samples.QVL_V4, Samples.QVL_COLLATERAL_2025);
        assertThat(qvl.evaluate(t -> moduleStatus(t, OUT_OF_DATE)).status()).isEqualTo(OUT_OF_DATE);
        assertThat(qvl.evaluate(t -> moduleStatus(platformStatus(t, CONFIGURATION_NEEDED), OUT_OF_DATE)).status())
                .isEqualTo(OUT_OF_DATE_CONFIGURATION_NEEDED);
        assertThat(qvl.evaluate(t -> moduleStatus(t, REVOKED)).status()).isEqualTo(REVOKED);
        TcbEvaluation noModule = qvl.evaluate(t -> new TcbInfo(t.id(), t.version(), t.issueDate(), t.nextUpdate(),
                t.fmspc(), t.pceId(), t.tcbEvaluationDataNumber(), t.tdxModule(), List.of(), t.tcbLevels(),
                t.signedBody(), t.signature()));
        assertThat(noModule.supported()).isFalse();
        assertThat(noModule.detail()).contains("no TDX module identity TDX_01");
    }

    @Test
    void anOutOfDateOrRevokedQeDegradesTheResult() throws Exception {
        Fixture qvl = Fixture.of(Samples.QVL_V4, Samples.QVL_COLLATERAL_2025);
        assertThat(TcbEvaluator.evaluate(qvl.tcb, qeStatus(qvl.qe, OUT_OF_DATE), qvl.pck, qvl.quote).status())
                .isEqualTo(OUT_OF_DATE);
        assertThat(TcbEvaluator.evaluate(qvl.tcb, qeStatus(qvl.qe, REVOKED), qvl.pck, qvl.quote).status())
                .isEqualTo(REVOKED);
    }

    @Test
    void tdRelaunchIsAdvisedWhenTeeTcbSvn2ShowsTheUpdatedModule() throws Exception {
        // go-tdx-guest v5: TEE_TCB_SVN 0b0104.., TEE_TCB_SVN_2 0d0104..: module SVN 11 running, 13 loaded
        Fixture go5 = Fixture.of(Samples.GO_V5, Samples.QVL_COLLATERAL_2026);
        TcbEvaluation e = go5.evaluate(t -> moduleLevels(t, List.of(
                new TcbInfo.ModuleTcbLevel(13, "2025-01-01T00:00:00Z", UP_TO_DATE, List.of()),
                new TcbInfo.ModuleTcbLevel(6, "2024-11-13T00:00:00Z", OUT_OF_DATE, List.of("INTEL-SA-TEST")))));
        assertThat(e.status()).isEqualTo(TD_RELAUNCH_ADVISED);
        assertThat(e.advisoryIds()).contains("INTEL-SA-TEST");
        TcbEvaluation stale = go5.evaluate(t -> moduleLevels(t, List.of(
                new TcbInfo.ModuleTcbLevel(14, "2025-01-01T00:00:00Z", UP_TO_DATE, List.of()),
                new TcbInfo.ModuleTcbLevel(6, "2024-11-13T00:00:00Z", OUT_OF_DATE, List.of()))));
        assertThat(stale.status()).isEqualTo(OUT_OF_DATE);
    }

    @Test
    void outOfDateAndRevokedTcbAreNotAcceptedByDefault() throws Exception {
        assertThat(TdxPolicy.DEFAULT.acceptedTcbStatuses()).containsExactly(UP_TO_DATE);
        Fixture qvl = Fixture.of(Samples.QVL_V4, Samples.QVL_COLLATERAL_2025);
        for (TcbStatus s : List.of(OUT_OF_DATE, REVOKED)) {
            Context c = qvl.context(platformStatus(qvl.tcb, s), TdxPolicy.DEFAULT);
            assertThatThrownBy(() -> CollateralChecks.tcbStatus(c)).isInstanceOf(CheckFailed.class)
                    .hasMessageStartingWith(s.intelName() + " is not accepted by the policy (accepts [UpToDate])");
        }
        Context accepting = qvl.context(platformStatus(qvl.tcb, OUT_OF_DATE),
                TdxPolicy.DEFAULT.withAcceptedTcbStatuses(UP_TO_DATE, OUT_OF_DATE));
        assertThat(CollateralChecks.tcbStatus(accepting)).startsWith("OutOfDate");
    }

    // ---- fixtures

    private record Fixture(TdxQuote quote, PckExtensions pck, TcbInfo tcb, QeIdentity qe, TdxCollateral collateral) {
        static Fixture of(String quote, String collateralDir) throws Exception {
            TdxQuote q = TdxQuote.parse(Samples.bytes(quote));
            X509Certificate leaf = Certs.pemChain(q.pckCertChain(), "chain").getFirst();
            TdxCollateral c = Samples.collateral(collateralDir);
            return new Fixture(q, PckExtensions.of(leaf), c.tcbInfo(), c.qeIdentity(), c);
        }

        TcbEvaluation evaluate(UnaryOperator<TcbInfo> edit) {
            return TcbEvaluator.evaluate(edit.apply(tcb), qe, pck, quote);
        }

        Context context(TcbInfo edited, TdxPolicy policy) throws Exception {
            TdxCollateral c = new TdxCollateral(edited, collateral.tcbInfoIssuerChain(), qe,
                    collateral.qeIdentityIssuerChain(), collateral.pckCrls(), collateral.rootCaCrl());
            Context ctx = new Context(quote, c, policy, Samples.AT_2025);
            ctx.pck = pck;
            return ctx;
        }
    }

    private static TcbInfo platformStatus(TcbInfo t, TcbStatus status) {
        List<TcbInfo.TcbLevel> levels = new ArrayList<>();
        for (TcbInfo.TcbLevel l : t.tcbLevels()) {
            levels.add(new TcbInfo.TcbLevel(l.sgxComponents(), l.pceSvn(), l.tdxComponents(), l.tcbDate(), status,
                    l.advisoryIds()));
        }
        return new TcbInfo(t.id(), t.version(), t.issueDate(), t.nextUpdate(), t.fmspc(), t.pceId(),
                t.tcbEvaluationDataNumber(), t.tdxModule(), t.tdxModuleIdentities(), levels, t.signedBody(),
                t.signature());
    }

    private static TcbInfo moduleStatus(TcbInfo t, TcbStatus status) {
        List<TcbInfo.ModuleTcbLevel> levels = new ArrayList<>();
        for (TcbInfo.ModuleTcbLevel l : TcbEvaluator.moduleIdentity(t, (byte) 1).tcbLevels()) {
            levels.add(new TcbInfo.ModuleTcbLevel(l.isvSvn(), l.tcbDate(), status, l.advisoryIds()));
        }
        return moduleLevels(t, levels);
    }

    private static TcbInfo moduleLevels(TcbInfo t, List<TcbInfo.ModuleTcbLevel> levels) {
        List<TcbInfo.TdxModuleIdentity> ids = new ArrayList<>();
        for (TcbInfo.TdxModuleIdentity m : t.tdxModuleIdentities()) {
            ids.add(m.id().equals("TDX_01") ? new TcbInfo.TdxModuleIdentity(m.id(), m.module(), levels) : m);
        }
        return new TcbInfo(t.id(), t.version(), t.issueDate(), t.nextUpdate(), t.fmspc(), t.pceId(),
                t.tcbEvaluationDataNumber(), t.tdxModule(), ids, t.tcbLevels(), t.signedBody(), t.signature());
    }

    private static QeIdentity qeStatus(QeIdentity q, TcbStatus status) {
        List<QeIdentity.Level> levels = q.tcbLevels().stream()
                .map(l -> new QeIdentity.Level(l.isvSvn(), l.tcbDate(), status, l.advisoryIds())).toList();
        return new QeIdentity(q.id(), q.version(), q.issueDate(), q.nextUpdate(), q.tcbEvaluationDataNumber(),
                q.miscSelect(), q.miscSelectMask(), q.attributes(), q.attributesMask(), q.mrSigner(), q.isvProdId(),
                levels, q.signedBody(), q.signature());
    }
}
