package dev.veil.protocol.attestation.snp;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * An AMD SEV-SNP ATTESTATION_REPORT (versions 2 to 5): 0x4A0 bytes, integers little-endian. Layout per the SEV-SNP ABI
 * specification (AMD 56860, table "ATTESTATION_REPORT structure") as encoded in {@code google/go-sev-guest}
 * {@code abi/abi.go}:
 *
 * <pre>
 * 0x000 VERSION u32            0x004 GUEST_SVN u32          0x008 POLICY u64
 * 0x010 FAMILY_ID[16]          0x020 IMAGE_ID[16]           0x030 VMPL u32
 * 0x034 SIGNATURE_ALGO u32     0x038 CURRENT_TCB u64        0x040 PLATFORM_INFO u64
 * 0x048 SIGNER_INFO u32        0x04C reserved               0x050 REPORT_DATA[64]
 * 0x090 MEASUREMENT[48]        0x0C0 HOST_DATA[32]          0x0E0 ID_KEY_DIGEST[48]
 * 0x110 AUTHOR_KEY_DIGEST[48]  0x140 REPORT_ID[32]          0x160 REPORT_ID_MA[32]
 * 0x180 REPORTED_TCB u64       0x188 CPUID_FAM_ID, 0x189 CPUID_MOD_ID, 0x18A CPUID_STEP (version 3+; else reserved)
 * 0x1A0 CHIP_ID[64]            0x1E0 COMMITTED_TCB u64      0x1E8 CURRENT_BUILD, _MINOR, _MAJOR, reserved
 * 0x1EC COMMITTED_BUILD, _MINOR, _MAJOR, reserved            0x1F0 LAUNCH_TCB u64
 * 0x1F8 LAUNCH_MIT_VECTOR u64, 0x200 CURRENT_MIT_VECTOR u64 (version 5; else reserved)
 * 0x2A0 SIGNATURE[512]: R[72] and S[72] little-endian (ECDSA P-384), rest reserved
 * </pre>
 *
 * The signature covers bytes 0x000 to 0x29F. {@link #parse} refuses wrong sizes, unsupported versions, malformed
 * POLICY and SIGNER_INFO and non-zero reserved bytes, naming the field. Accessors return copies.
 */
public final class SnpReport {

    /** The size of a report. */
    public static final int SIZE = 0x4A0;
    /** The offset of the signature; the signed region is everything before it. */
    public static final int SIGNATURE_OFFSET = 0x2A0;
    /** The size of each of the little-endian R and S components of an ECDSA P-384 signature. */
    public static final int SIGNATURE_COMPONENT_SIZE = 72;
    /** SIGNATURE_ALGO for ECDSA P-384 with SHA-384, the only algorithm defined. */
    public static final int ECDSA_P384_SHA384 = 1;
    public static final int MIN_VERSION = 2;
    public static final int MAX_VERSION = 5;

    private static final HexFormat HEX = HexFormat.of();

    private final byte[] raw;

    private SnpReport(byte[] raw) {
        this.raw = raw;
    }

    /** Parses and structurally validates a raw report. */
    public static SnpReport parse(byte[] report) throws SnpFormatException {
        if (report == null || report.length != SIZE) {
            throw new SnpFormatException("report", "is " + (report == null ? "absent" : report.length + " bytes")
                    + "; an SEV-SNP attestation report has " + SIZE + " bytes");
        }
        SnpReport r = new SnpReport(report.clone());
        r.validate();
        return r;
    }

    private void validate() throws SnpFormatException {
        long version = u32(0x00);
        if (version < MIN_VERSION || version > MAX_VERSION) {
            throw new SnpFormatException("version", "report version " + version + " is not supported (" + MIN_VERSION
                    + " to " + MAX_VERSION + ")");
        }
        long policy = u64(0x08);
        if ((policy & (1L << GuestPolicy.RESERVED_ONE_BIT)) == 0) {
            throw new SnpFormatException("policy", "reserved bit 17 must be 1");
        }
        if ((policy >>> (GuestPolicy.HIGHEST_DEFINED_BIT + 1)) != 0) {
            throw new SnpFormatException("policy", "bits 63:26 must be zero, policy is 0x" + Long.toHexString(policy));
        }
        long signerInfo = u32(0x48);
        if ((signerInfo >>> 5) != 0) {
            throw new SnpFormatException("signer_info", "bits 31:5 must be zero, signer_info is 0x"
                    + Long.toHexString(signerInfo));
        }
        SigningKeyKind.fromEncoding((int) (signerInfo >>> 2) & 7);
        mbz(0x04C, 0x050);
        mbz(version >= 3 ? 0x18B : 0x188, 0x1A0);
        mbz(0x1EB, 0x1EC);
        mbz(0x1EF, 0x1F0);
        mbz(version >= 5 ? 0x208 : 0x1F8, SIGNATURE_OFFSET);
        if (signatureAlgorithm() == ECDSA_P384_SHA384) {
            mbz(SIGNATURE_OFFSET + 2 * SIGNATURE_COMPONENT_SIZE, SIZE);
        }
    }

    private void mbz(int from, int to) throws SnpFormatException {
        for (int i = from; i < to; i++) {
            if (raw[i] != 0) {
                throw new SnpFormatException(String.format("reserved[0x%03x..0x%03x)", from, to),
                        String.format("must be zero, byte 0x%03x is 0x%02x", i, raw[i] & 0xff));
            }
        }
    }

    // ---- header

    /** VERSION: 2 to 5. */
    public int version() {
        return (int) u32(0x00);
    }

    /** GUEST_SVN, unsigned. */
    public long guestSvn() {
        return u32(0x04);
    }

    /** POLICY. */
    public GuestPolicy policy() {
        return new GuestPolicy(u64(0x08));
    }

    /** FAMILY_ID from the ID block (16 bytes). */
    public byte[] familyId() {
        return bytes(0x10, 16);
    }

    /** IMAGE_ID from the ID block (16 bytes). */
    public byte[] imageId() {
        return bytes(0x20, 16);
    }

    /** VMPL the report was requested at, unsigned (0 to 3 from a guest; 0xFFFFFFFF when the host requested it). */
    public long vmpl() {
        return u32(0x30);
    }

    /** SIGNATURE_ALGO: {@link #ECDSA_P384_SHA384} is the only defined value. */
    public int signatureAlgorithm() {
        return (int) u32(0x34);
    }

    /** CURRENT_TCB, raw. */
    public long currentTcb() {
        return u64(0x38);
    }

    /** PLATFORM_INFO, raw (bit 0 SMT enabled, bit 1 TSME enabled, ...). */
    public long platformInfo() {
        return u64(0x40);
    }

    /** SIGNER_INFO bit 0: the ID block was signed by an author key. */
    public boolean authorKeyEnabled() {
        return (u32(0x48) & 1) != 0;
    }

    /** SIGNER_INFO bit 1 (MASK_CHIP_KEY): the host masked CHIP_ID to zeros. */
    public boolean chipIdMasked() {
        return (u32(0x48) & 2) != 0;
    }

    /** SIGNER_INFO bits 4:2: which key signed the report. */
    public SigningKeyKind signingKey() {
        try {
            return SigningKeyKind.fromEncoding((int) (u32(0x48) >>> 2) & 7);
        } catch (SnpFormatException e) {
            throw new IllegalStateException(e); // refused by parse
        }
    }

    // ---- guest data

    /** REPORT_DATA: the 64 bytes the guest asked to have signed. */
    public byte[] reportData() {
        return bytes(0x50, 64);
    }

    /** MEASUREMENT: the launch digest (48 bytes). */
    public byte[] measurement() {
        return bytes(0x90, 48);
    }

    /** MEASUREMENT in lower-case hex. */
    public String measurementHex() {
        return HEX.formatHex(raw, 0x90, 0xC0);
    }

    /** HOST_DATA supplied by the host at launch (32 bytes). */
    public byte[] hostData() {
        return bytes(0xC0, 32);
    }

    /** ID_KEY_DIGEST: SHA-384 of the ID block's public key (48 bytes; zeros without ID block). */
    public byte[] idKeyDigest() {
        return bytes(0xE0, 48);
    }

    /** AUTHOR_KEY_DIGEST: SHA-384 of the author key (48 bytes). */
    public byte[] authorKeyDigest() {
        return bytes(0x110, 48);
    }

    /** REPORT_ID of the guest (32 bytes). */
    public byte[] reportId() {
        return bytes(0x140, 32);
    }

    /** REPORT_ID_MA of the guest's migration agent (32 bytes; all ones without). */
    public byte[] reportIdMa() {
        return bytes(0x160, 32);
    }

    // ---- platform

    /** REPORTED_TCB, raw: the TCB the signing VCEK was derived for. */
    public long reportedTcb() {
        return u64(0x180);
    }

    /** CPUID_FAM_ID (extended family + family), version 3 and later. */
    public OptionalInt cpuidFamily() {
        return version() >= 3 ? OptionalInt.of(raw[0x188] & 0xff) : OptionalInt.empty();
    }

    /** CPUID_MOD_ID (extended model and model), version 3 and later. */
    public OptionalInt cpuidModel() {
        return version() >= 3 ? OptionalInt.of(raw[0x189] & 0xff) : OptionalInt.empty();
    }

    /** CPUID_STEP, version 3 and later. */
    public OptionalInt cpuidStepping() {
        return version() >= 3 ? OptionalInt.of(raw[0x18A] & 0xff) : OptionalInt.empty();
    }

    /** The product line the CPUID fields name, when the report has them and they are known. */
    public Optional<SnpProduct> cpuidProduct() {
        if (version() < 3) {
            return Optional.empty();
        }
        return SnpProduct.fromCpuid(raw[0x188] & 0xff, raw[0x189] & 0xff);
    }

    /** CHIP_ID (64 bytes; zeros when masked; Turin uses the first 8 bytes). */
    public byte[] chipId() {
        return bytes(0x1A0, 64);
    }

    /** COMMITTED_TCB, raw. */
    public long committedTcb() {
        return u64(0x1E0);
    }

    /** Firmware version CURRENT_MAJOR.CURRENT_MINOR.CURRENT_BUILD, e.g. {@code 1.51.3}. */
    public String currentFirmware() {
        return (raw[0x1EA] & 0xff) + "." + (raw[0x1E9] & 0xff) + "." + (raw[0x1E8] & 0xff);
    }

    /** Firmware version COMMITTED_MAJOR.COMMITTED_MINOR.COMMITTED_BUILD. */
    public String committedFirmware() {
        return (raw[0x1EE] & 0xff) + "." + (raw[0x1ED] & 0xff) + "." + (raw[0x1EC] & 0xff);
    }

    /** LAUNCH_TCB, raw: CURRENT_TCB when the guest was launched. */
    public long launchTcb() {
        return u64(0x1F0);
    }

    /** LAUNCH_MIT_VECTOR, version 5 and later. */
    public OptionalLong launchMitVector() {
        return version() >= 5 ? OptionalLong.of(u64(0x1F8)) : OptionalLong.empty();
    }

    /** CURRENT_MIT_VECTOR, version 5 and later. */
    public OptionalLong currentMitVector() {
        return version() >= 5 ? OptionalLong.of(u64(0x200)) : OptionalLong.empty();
    }

    // ---- signature

    /** The signed bytes 0x000 to 0x29F. */
    public byte[] signedRegion() {
        return bytes(0, SIGNATURE_OFFSET);
    }

    /** The signature's R component: 72 bytes little-endian. */
    public byte[] signatureR() {
        return bytes(SIGNATURE_OFFSET, SIGNATURE_COMPONENT_SIZE);
    }

    /** The signature's S component: 72 bytes little-endian. */
    public byte[] signatureS() {
        return bytes(SIGNATURE_OFFSET + SIGNATURE_COMPONENT_SIZE, SIGNATURE_COMPONENT_SIZE);
    }

    /** The whole report as parsed. */
    public byte[] raw() {
        return raw.clone();
    }

    @Override
    public String toString() {
        return "SnpReport[version=" + version() + ", vmpl=" + vmpl() + ", signingKey=" + signingKey() + ", measurement="
                + measurementHex() + "]";
    }

    private byte[] bytes(int offset, int length) {
        return Arrays.copyOfRange(raw, offset, offset + length);
    }

    private long u32(int offset) {
        return (raw[offset] & 0xffL) | (raw[offset + 1] & 0xffL) << 8 | (raw[offset + 2] & 0xffL) << 16
                | (raw[offset + 3] & 0xffL) << 24;
    }

    private long u64(int offset) {
        return u32(offset) | u32(offset + 4) << 32;
    }
}
