package dev.veil.protocol.attestation.tdx;

import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/** The checks of the operator's Intel PCS collateral and of the quote against it. */
final class CollateralChecks {

    static final String TCB_SIGNING_CN = "Intel SGX TCB Signing";
    private static final HexFormat HEX = HexFormat.of();

    private CollateralChecks() {
    }

    static String rootCaCrl(Context c) throws CheckFailed {
        X509CRL crl = c.collateral.rootCaCrl();
        X509Certificate root = IntelSgxRootCa.certificate();
        if (!crl.getIssuerX500Principal().equals(root.getSubjectX500Principal())) {
            throw new CheckFailed("issued by '" + Certs.cn(crl.getIssuerX500Principal()) + "', not the Intel SGX Root CA");
        }
        verifyCrl(crl, root, c.at);
        notRevoked(crl, c.pckCa(), "the PCK CA certificate");
        return "signed by the pinned root, current (" + crl.getThisUpdate().toInstant() + " .. "
                + crl.getNextUpdate().toInstant() + "), " + count(crl) + " revoked, '" + Certs.cn(c.pckCa())
                + "' not revoked";
    }

    static String pckCrl(Context c) throws CheckFailed {
        X509Certificate leaf = c.pckLeaf();
        X509CRL crl = c.collateral.pckCrls().stream()
                .filter(x -> x.getIssuerX500Principal().equals(leaf.getIssuerX500Principal())).findFirst()
                .orElseThrow(() -> new CheckFailed("no PCK CRL issued by '" + Certs.issuerCn(leaf)
                        + "', the PCK certificate's issuer"));
        verifyCrl(crl, c.pckCa(), c.at);
        notRevoked(crl, leaf, "the PCK certificate");
        return "signed by '" + Certs.cn(c.pckCa()) + "', current (" + crl.getThisUpdate().toInstant() + " .. "
                + crl.getNextUpdate().toInstant() + "), " + count(crl) + " revoked, the PCK certificate not revoked";
    }

    static String tcbInfoSignature(Context c) throws CheckFailed, GeneralSecurityException {
        TcbInfo t = c.collateral.tcbInfo();
        X509Certificate signer = signingCertificate(c, c.collateral.tcbInfoIssuerChain(), "TCB info issuer chain");
        if (!Ecdsa.verify(signer.getPublicKey(), t.signedBody(), t.signature())) {
            throw new CheckFailed("the TCB info is not signed by the '" + TCB_SIGNING_CN + "' certificate");
        }
        return "signed by '" + TCB_SIGNING_CN + "' (valid to " + signer.getNotAfter().toInstant()
                + ") <- pinned Intel SGX Root CA, not revoked";
    }

    static String tcbInfoValidity(Context c) throws CheckFailed {
        TcbInfo t = c.collateral.tcbInfo();
        if (!"TDX".equals(t.id()) || t.version() != 3) {
            throw new CheckFailed("expected TDX TCB info version 3, got id '" + t.id() + "' version " + t.version());
        }
        current(t.issueDate(), t.nextUpdate(), c.at, "the TCB info");
        return "TDX v3, FMSPC " + t.fmspc() + ", evaluation data number " + t.tcbEvaluationDataNumber() + ", current ("
                + t.issueDate() + " .. " + t.nextUpdate() + ")";
    }

    static String qeIdentitySignature(Context c) throws CheckFailed, GeneralSecurityException {
        QeIdentity q = c.collateral.qeIdentity();
        X509Certificate signer = signingCertificate(c, c.collateral.qeIdentityIssuerChain(), "QE identity issuer chain");
        if (!Ecdsa.verify(signer.getPublicKey(), q.signedBody(), q.signature())) {
            throw new CheckFailed("the QE identity is not signed by the '" + TCB_SIGNING_CN + "' certificate");
        }
        return "signed by '" + TCB_SIGNING_CN + "' <- pinned Intel SGX Root CA, not revoked";
    }

    static String qeIdentityValidity(Context c) throws CheckFailed {
        QeIdentity q = c.collateral.qeIdentity();
        if (!"TD_QE".equals(q.id()) || q.version() != 2) {
            throw new CheckFailed("expected TD_QE identity version 2, got id '" + q.id() + "' version " + q.version());
        }
        current(q.issueDate(), q.nextUpdate(), c.at, "the QE identity");
        return "TD_QE v2, evaluation data number " + q.tcbEvaluationDataNumber() + ", current (" + q.issueDate()
                + " .. " + q.nextUpdate() + ")";
    }

    static String fmspc(Context c) throws CheckFailed {
        TcbInfo t = c.collateral.tcbInfo();
        if (!t.fmspc().equalsIgnoreCase(c.pck.fmspc())) {
            throw new CheckFailed("the TCB info is for FMSPC " + t.fmspc() + " but the PCK certificate's FMSPC is "
                    + c.pck.fmspc());
        }
        if (!t.pceId().equalsIgnoreCase(c.pck.pceId())) {
            throw new CheckFailed("the TCB info is for PCE ID " + t.pceId() + " but the PCK certificate's is "
                    + c.pck.pceId());
        }
        return "FMSPC " + c.pck.fmspc() + ", PCE ID " + c.pck.pceId();
    }

    static String tdxModule(Context c) throws CheckFailed {
        TdReport r = c.quote.report();
        byte version = r.teeTcbSvn()[1];
        TcbInfo.TdxModule expected;
        String which;
        if (version == 0) {
            expected = c.collateral.tcbInfo().tdxModule();
            which = "tdxModule";
        } else {
            TcbInfo.TdxModuleIdentity identity = TcbEvaluator.moduleIdentity(c.collateral.tcbInfo(), version);
            expected = identity == null ? null : identity.module();
            which = identity == null ? "" : identity.id();
        }
        if (expected == null) {
            throw new CheckFailed("the TCB info describes no TDX module of version " + (version & 0xff));
        }
        String mrSignerSeam = HEX.formatHex(r.mrSignerSeam());
        if (!expected.mrSigner().equals(mrSignerSeam)) {
            throw new CheckFailed("MRSIGNERSEAM " + mrSignerSeam + " is not " + which + " mrsigner " + expected.mrSigner());
        }
        if (!masked(r.seamAttributes(), expected.attributesMask()).equals(expected.attributes())) {
            throw new CheckFailed("SEAMATTRIBUTES " + HEX.formatHex(r.seamAttributes()) + " under mask "
                    + expected.attributesMask() + " are not " + which + " attributes " + expected.attributes());
        }
        return which + ": MRSIGNERSEAM and SEAMATTRIBUTES match";
    }

    static String qeIdentity(Context c) throws CheckFailed {
        QeIdentity q = c.collateral.qeIdentity();
        QeReport r = c.quote.qeReport();
        String mrSigner = HEX.formatHex(r.mrSigner());
        if (!q.mrSigner().equals(mrSigner)) {
            throw new CheckFailed("QE MRSIGNER " + mrSigner + " is not the identity's " + q.mrSigner());
        }
        if (r.isvProdId() != q.isvProdId()) {
            throw new CheckFailed("QE ISVPRODID " + r.isvProdId() + " is not the identity's " + q.isvProdId());
        }
        byte[] misc = java.util.Arrays.copyOfRange(r.raw(), 0x10, 0x14);
        if (!masked(misc, q.miscSelectMask()).equals(q.miscSelect())) {
            throw new CheckFailed("QE MISCSELECT " + HEX.formatHex(misc) + " under mask " + q.miscSelectMask()
                    + " is not " + q.miscSelect());
        }
        if (!masked(r.attributes(), q.attributesMask()).equals(q.attributes())) {
            throw new CheckFailed("QE ATTRIBUTES " + HEX.formatHex(r.attributes()) + " under mask "
                    + q.attributesMask() + " are not " + q.attributes());
        }
        return "TD_QE MRSIGNER " + mrSigner + ", ISVPRODID " + r.isvProdId() + ", MISCSELECT and ATTRIBUTES match";
    }

    static String tcbStatus(Context c) throws CheckFailed {
        TcbEvaluation e = TcbEvaluator.evaluate(c.collateral.tcbInfo(), c.collateral.qeIdentity(), c.pck, c.quote);
        if (!e.supported()) {
            throw new CheckFailed("TCB not supported by the collateral: " + e.detail());
        }
        String advisories = e.advisoryIds().isEmpty() ? "" : "; advisories " + String.join(", ", e.advisoryIds());
        if (!c.policy.acceptedTcbStatuses().contains(e.status())) {
            throw new CheckFailed(e.status() + " is not accepted by the policy (accepts "
                    + c.policy.acceptedTcbStatuses() + "): " + e.detail() + advisories);
        }
        return e.status() + ": " + e.detail() + advisories;
    }

    // ---- helpers

    /** The TCB Signing certificate of an issuer chain, validated to the pinned root and not revoked. */
    private static X509Certificate signingCertificate(Context c, List<X509Certificate> chain, String what)
            throws CheckFailed, GeneralSecurityException {
        X509Certificate signer = chain.get(0);
        if (!TCB_SIGNING_CN.equals(Certs.cn(signer))) {
            throw new CheckFailed("the " + what + " starts with '" + Certs.cn(signer) + "', not '" + TCB_SIGNING_CN + "'");
        }
        for (X509Certificate other : chain.subList(1, chain.size())) {
            if (!Certs.isPinnedRoot(other)) {
                throw new CheckFailed("the " + what + " holds '" + Certs.cn(other)
                        + "', which is not the pinned Intel SGX Root CA");
            }
        }
        try {
            Certs.validate(List.of(signer), c.at);
        } catch (GeneralSecurityException e) {
            throw new CheckFailed("the '" + TCB_SIGNING_CN + "' certificate does not validate to the pinned Intel SGX"
                    + " Root CA at " + c.at + ": " + e.getMessage());
        }
        notRevoked(c.collateral.rootCaCrl(), signer, "the '" + TCB_SIGNING_CN + "' certificate");
        return signer;
    }

    private static void verifyCrl(X509CRL crl, X509Certificate issuer, Instant at) throws CheckFailed {
        try {
            crl.verify(issuer.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new CheckFailed("the CRL is not signed by '" + Certs.cn(issuer) + "': " + e.getMessage());
        }
        if (crl.getNextUpdate() == null) {
            throw new CheckFailed("the CRL has no nextUpdate");
        }
        current(crl.getThisUpdate().toInstant(), crl.getNextUpdate().toInstant(), at, "the CRL");
    }

    private static void notRevoked(X509CRL crl, X509Certificate cert, String what) throws CheckFailed {
        X509CRLEntry entry = crl.getRevokedCertificate(cert);
        if (entry != null) {
            throw new CheckFailed(what + " '" + Certs.cn(cert) + "' (serial " + cert.getSerialNumber().toString(16)
                    + ") is revoked since " + entry.getRevocationDate().toInstant()
                    + (entry.getRevocationReason() != null ? " (" + entry.getRevocationReason() + ")" : ""));
        }
    }

    private static void current(Instant from, Instant to, Instant at, String what) throws CheckFailed {
        if (at.isBefore(from)) {
            throw new CheckFailed(what + " was issued at " + from + ", after the verification time " + at);
        }
        if (at.isAfter(to)) {
            throw new CheckFailed(what + " expired: nextUpdate " + to + " is before the verification time " + at);
        }
    }

    private static String masked(byte[] value, String maskHex) {
        byte[] mask = HEX.parseHex(maskHex);
        byte[] out = new byte[value.length];
        for (int i = 0; i < value.length; i++) {
            out[i] = (byte) (value[i] & (i < mask.length ? mask[i] : 0));
        }
        return HEX.formatHex(out).toLowerCase(Locale.ROOT);
    }

    private static int count(X509CRL crl) {
        return crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size();
    }
}
