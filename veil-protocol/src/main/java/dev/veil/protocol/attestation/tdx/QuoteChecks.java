package dev.veil.protocol.attestation.tdx;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/** The checks of the quote itself: who signed it, and that the signatures chain to the pinned Intel root. */
final class QuoteChecks {

    static final String PCK_LEAF_CN = "Intel SGX PCK Certificate";
    static final Set<String> PCK_CA_CNS = Set.of("Intel SGX PCK Platform CA", "Intel SGX PCK Processor CA");
    private static final HexFormat HEX = HexFormat.of();

    private QuoteChecks() {
    }

    static String qeVendor(Context c) throws CheckFailed {
        if (!c.quote.header().intelQe()) {
            throw new CheckFailed("QE vendor ID " + HEX.formatHex(c.quote.header().qeVendorId())
                    + " is not Intel's " + HEX.formatHex(TdxQuoteHeader.INTEL_QE_VENDOR_ID));
        }
        return "Intel (" + HEX.formatHex(TdxQuoteHeader.INTEL_QE_VENDOR_ID) + ")";
    }

    static String pckChain(Context c) throws CheckFailed, GeneralSecurityException, TdxFormatException {
        List<X509Certificate> chain = Certs.pemChain(c.quote.pckCertChain(), "PCK certificate chain");
        if (chain.size() != 3) {
            throw new CheckFailed("expected 3 certificates (PCK, PCK CA, root), got " + chain.size());
        }
        X509Certificate leaf = chain.get(0);
        X509Certificate ca = chain.get(1);
        if (!Certs.isPinnedRoot(chain.get(2))) {
            throw new CheckFailed("the chain ends in '" + Certs.cn(chain.get(2))
                    + "', not the pinned Intel SGX Root CA (SHA-256 " + IntelSgxRootCa.SHA256_FINGERPRINT + ")");
        }
        if (!PCK_CA_CNS.contains(Certs.cn(ca))) {
            throw new CheckFailed("the intermediate certificate is '" + Certs.cn(ca) + "', not a PCK Platform/Processor CA");
        }
        if (!PCK_LEAF_CN.equals(Certs.cn(leaf))) {
            throw new CheckFailed("the leaf certificate is '" + Certs.cn(leaf) + "', not an Intel SGX PCK Certificate");
        }
        try {
            Certs.validate(List.of(leaf, ca), c.at);
        } catch (GeneralSecurityException e) {
            throw new CheckFailed("does not validate to the pinned Intel SGX Root CA at " + c.at + ": "
                    + e.getMessage());
        }
        if (!Ecdsa.isP256(leaf.getPublicKey())) {
            throw new CheckFailed("the PCK key is not an ECDSA P-256 key");
        }
        c.pckChain = chain;
        return "'" + PCK_LEAF_CN + "' (serial " + leaf.getSerialNumber().toString(16) + ", valid to "
                + leaf.getNotAfter().toInstant() + ") <- '" + Certs.cn(ca) + "' <- pinned Intel SGX Root CA, valid at "
                + c.at;
    }

    static String pckExtensions(Context c) throws TdxFormatException {
        c.pck = PckExtensions.of(c.pckLeaf());
        return "FMSPC " + c.pck.fmspc() + ", PCE ID " + c.pck.pceId() + ", PCE SVN " + c.pck.pceSvn()
                + ", SGX TCB components " + c.pck.sgxTcbComponents();
    }

    static String qeReportSignature(Context c) throws CheckFailed, GeneralSecurityException {
        if (!Ecdsa.verify(c.pckLeaf().getPublicKey(), c.quote.qeReport().raw(), c.quote.qeReportSignature())) {
            throw new CheckFailed("the QE report is not signed by the PCK certificate's key");
        }
        return "QE report (MRENCLAVE " + HEX.formatHex(c.quote.qeReport().mrEnclave()) + ", ISVSVN "
                + c.quote.qeReport().isvSvn() + ") signed by the PCK key (ECDSA P-256/SHA-256)";
    }

    static String qeReportData(Context c) throws CheckFailed, GeneralSecurityException {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(c.quote.attestationKey());
        sha.update(c.quote.qeAuthData());
        byte[] expected = new byte[64];
        System.arraycopy(sha.digest(), 0, expected, 0, 32);
        if (!MessageDigest.isEqual(expected, c.quote.qeReport().reportData())) {
            throw new CheckFailed("QE report data is not SHA-256(attestation key || QE authentication data) || zeros:"
                    + " the attestation key is not the one the Quoting Enclave certified");
        }
        return "QE report data = SHA-256(attestation key || QE auth data): the QE certified the attestation key";
    }

    static String quoteSignature(Context c) throws CheckFailed {
        try {
            if (Ecdsa.verify(Ecdsa.p256Key(c.quote.attestationKey()), c.quote.signedBytes(), c.quote.signature())) {
                return "header and TD report signed by the attestation key (ECDSA P-256/SHA-256)";
            }
        } catch (GeneralSecurityException e) {
            throw new CheckFailed("the attestation key is unusable: " + e.getMessage());
        }
        throw new CheckFailed("the quote (header and TD report) is not signed by the attestation key");
    }
}
