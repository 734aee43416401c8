package dev.veil.protocol.attestation.nvidia;

/** The names of the checks a GPU {@link dev.veil.protocol.attestation.Verdict} lists, in the order they run. */
public final class GpuChecks {

    /** The SPDM GET_MEASUREMENTS request and MEASUREMENTS response parse (bounded, counts consistent). */
    public static final String REPORT_FORMAT = "GPU report format";
    /** The device chain decodes and validates to the pinned NVIDIA Device Identity CA at the verification time. */
    public static final String DEVICE_CHAIN = "device certificate chain";
    /** The device certificate names a known architecture the policy allows. */
    public static final String ARCHITECTURE = "GPU architecture";
    /** The FWID in the device certificate equals the report's FWID field. */
    public static final String FWID = "FWID";
    /** ECDSA P-384/SHA-384 over request and response with the device certificate's key. */
    public static final String REPORT_SIGNATURE = "GPU report signature";
    /** The request nonce equals the verifier's. */
    public static final String NONCE = "nonce";
    /** No debug or non-CC state shown by the evidence. */
    public static final String DEBUG_STATE = "debug state";
    /** The signed driver and VBIOS versions are at least the policy's minimums (when it sets them). */
    public static final String VERSIONS = "driver and VBIOS versions";
    /** OCSP collateral: the device chain's CA certificates are not revoked. */
    public static final String DEVICE_REVOCATION = "device certificate revocation";
    /** The driver RIM: XML signature, chain to the pinned NVIDIA RIM root, version and chip match the report. */
    public static final String DRIVER_RIM = "driver RIM";
    public static final String DRIVER_RIM_REVOCATION = "driver RIM certificate revocation";
    /** The VBIOS RIM: XML signature, chain to the pinned NVIDIA RIM root, version and chip match the report. */
    public static final String VBIOS_RIM = "VBIOS RIM";
    public static final String VBIOS_RIM_REVOCATION = "VBIOS RIM certificate revocation";
    /** Every active RIM measurement matches the report (as NVIDIA's local verifier compares them). */
    public static final String MEASUREMENTS = "measurements";

    private GpuChecks() {
    }
}
