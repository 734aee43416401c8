package dev.veil.protocol.attestation.tdx;

/** The names of the checks a TDX {@link dev.veil.protocol.attestation.Verdict} lists, in the order they run. */
public final class TdxChecks {

    /** The quote parses: version 4/5, ECDSA-P256 key, TEE type TDX, QE report certification data. */
    public static final String QUOTE_FORMAT = "quote format";
    /** The Quoting Enclave is Intel's. */
    public static final String QE_VENDOR = "QE vendor";
    /** PCK leaf, Platform/Processor CA and the pinned Intel SGX Root CA; signatures and validity at the time. */
    public static final String PCK_CHAIN = "PCK certificate chain";
    /** The PCK certificate's SGX extensions (FMSPC, TCB components) decode. */
    public static final String PCK_EXTENSIONS = "PCK certificate SGX extensions";
    /** The QE report is signed by the PCK key. */
    public static final String QE_REPORT_SIGNATURE = "QE report signature";
    /** QE report data = SHA-256(attestation key || QE auth data) || zeros. */
    public static final String QE_REPORT_DATA = "QE report data";
    /** Header and TD report are signed by the attestation key. */
    public static final String QUOTE_SIGNATURE = "quote signature";
    /** The root CA CRL is signed by the pinned root, current, and does not revoke the PCK CA. */
    public static final String ROOT_CA_CRL = "root CA CRL";
    /** The PCK CRL is signed by the PCK CA, current, and does not revoke the PCK certificate. */
    public static final String PCK_CRL = "PCK CRL";
    /** The TCB info is signed by the TCB Signing certificate, chained to the pinned root and not revoked. */
    public static final String TCB_INFO_SIGNATURE = "TCB info signature";
    /** The TCB info is TDX v3 and current (issueDate ≤ t ≤ nextUpdate). */
    public static final String TCB_INFO_VALIDITY = "TCB info validity";
    /** The QE identity is signed by the TCB Signing certificate, chained to the pinned root and not revoked. */
    public static final String QE_IDENTITY_SIGNATURE = "QE identity signature";
    /** The QE identity is TD_QE v2 and current. */
    public static final String QE_IDENTITY_VALIDITY = "QE identity validity";
    /** The TCB info is for the PCK certificate's FMSPC and PCE ID. */
    public static final String FMSPC = "FMSPC";
    /** MRSIGNERSEAM and SEAMATTRIBUTES match the TCB info's TDX module (identity). */
    public static final String TDX_MODULE = "TDX module";
    /** The QE report matches the QE identity (MRSIGNER, ISVPRODID, MISCSELECT, ATTRIBUTES). */
    public static final String QE_IDENTITY = "QE identity";
    /** The converged TCB status is one the policy accepts (or, without collateral, "not checked"). */
    public static final String TCB_STATUS = "TCB status";
    /** TDATTRIBUTES has no DEBUG bit unless the policy allows it. */
    public static final String DEBUG = "TD debug attribute";
    public static final String MRTD = "MRTD";
    public static final String XFAM = "XFAM";
    public static final String MRSEAM = "MRSEAM";
    public static final String REPORT_DATA = "report data";

    private TdxChecks() {
    }

    /** The name of the check of RTMR {@code index}. */
    public static String rtmr(int index) {
        return "RTMR" + index;
    }
}
