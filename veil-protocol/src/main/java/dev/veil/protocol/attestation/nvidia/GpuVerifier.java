package dev.veil.protocol.attestation.nvidia;

import dev.veil.protocol.attestation.Check;
import dev.veil.protocol.attestation.Verdict;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Verifies one NVIDIA GPU's confidential-computing evidence (Hopper or Blackwell) against the pinned NVIDIA roots,
 * the operator's {@link GpuCollateral} (RIMs, OCSP responses) and a {@link GpuPolicy}, and lists every check in a
 * {@link Verdict}. Checks run in the order of {@link GpuChecks}; the first failed check ends the verification (later
 * checks are not listed). Bad evidence or collateral never throws: it fails the check that needed it, with the reason.
 */
public final class GpuVerifier {

    /** The evidence format name. */
    public static final String FORMAT = "nvidia-gpu";

    private final List<X509Certificate> deviceRoots;
    private final List<X509Certificate> rimRoots;

    /** A verifier trusting only NVIDIA's pinned roots ({@link NvidiaRoots}). */
    public GpuVerifier() {
        this(List.of(NvidiaRoots.deviceIdentityCa()), List.of(NvidiaRoots.rimSigningRoot()));
    }

    /**
     * A verifier trusting the given roots (each pinned by its key). Production code uses {@link #GpuVerifier()}; other
     * roots are for test PKIs.
     */
    public GpuVerifier(List<X509Certificate> deviceRoots, List<X509Certificate> rimRoots) {
        this.deviceRoots = List.copyOf(deviceRoots);
        this.rimRoots = List.copyOf(rimRoots);
    }

    @FunctionalInterface
    private interface Step {
        String run(Context c) throws CheckFailed, GeneralSecurityException, GpuFormatException;
    }

    private static final class CheckFailed extends Exception {
        CheckFailed(String message) {
            super(message);
        }
    }

    /** The state one verification builds up as its checks pass. */
    private final class Context {
        final GpuEvidence evidence;
        final byte[] expectedNonce;
        final GpuCollateral collateral;
        final GpuPolicy policy;
        final Instant at;
        SpdmReport report;
        List<X509Certificate> devicePath;
        GpuArchitecture arch;
        DeviceCertificateFwid fwid;
        Rim driverRim;
        List<X509Certificate> driverRimPath;
        Rim vbiosRim;
        List<X509Certificate> vbiosRimPath;

        Context(GpuEvidence evidence, byte[] expectedNonce, GpuCollateral collateral, GpuPolicy policy, Instant at) {
            this.evidence = evidence;
            this.expectedNonce = expectedNonce;
            this.collateral = collateral;
            this.policy = policy;
            this.at = at;
        }
    }

    /** Verifies at the current time. */
    public Verdict verify(GpuEvidence evidence, byte[] expectedNonce, GpuCollateral collateral, GpuPolicy policy) {
        return verify(evidence, expectedNonce, collateral, policy, Instant.now());
    }

    /**
     * Verifies {@code evidence} as of {@code at}.
     *
     * @param expectedNonce the 32-byte nonce the verifier asked the GPU to sign (required: evidence without the
     *                      verifier's nonce could be a replay)
     * @param collateral    the operator's RIMs and OCSP responses ({@link GpuCollateral#none()} when there are none)
     */
    public Verdict verify(GpuEvidence evidence, byte[] expectedNonce, GpuCollateral collateral, GpuPolicy policy,
                          Instant at) {
        if (evidence == null || policy == null || at == null || collateral == null) {
            throw new IllegalArgumentException("evidence, collateral, a policy and a verification time are required");
        }
        List<Check> checks = new ArrayList<>();
        SpdmReport report;
        try {
            report = SpdmReport.parse(evidence.report());
        } catch (GpuFormatException e) {
            checks.add(Check.fail(GpuChecks.REPORT_FORMAT, e.getMessage()));
            return new Verdict(FORMAT, checks, new byte[0], "");
        } catch (RuntimeException e) {
            checks.add(Check.fail(GpuChecks.REPORT_FORMAT, "does not parse: " + e.getClass().getSimpleName()));
            return new Verdict(FORMAT, checks, new byte[0], "");
        }
        checks.add(Check.pass(GpuChecks.REPORT_FORMAT, report.describe()));
        Context c = new Context(evidence, expectedNonce, collateral, policy, at);
        c.report = report;
        run(c, checks, steps());
        return new Verdict(FORMAT, checks, report.nonce(), measurementDigest(report));
    }

    private Map<String, Step> steps() {
        Map<String, Step> steps = new LinkedHashMap<>();
        steps.put(GpuChecks.DEVICE_CHAIN, this::deviceChain);
        steps.put(GpuChecks.ARCHITECTURE, GpuVerifier::architecture);
        steps.put(GpuChecks.FWID, GpuVerifier::fwid);
        steps.put(GpuChecks.REPORT_SIGNATURE, GpuVerifier::reportSignature);
        steps.put(GpuChecks.NONCE, GpuVerifier::nonce);
        steps.put(GpuChecks.DEBUG_STATE, GpuVerifier::debugState);
        steps.put(GpuChecks.VERSIONS, GpuVerifier::versions);
        steps.put(GpuChecks.DEVICE_REVOCATION, GpuVerifier::deviceRevocation);
        steps.put(GpuChecks.DRIVER_RIM, c -> rim(c, true));
        steps.put(GpuChecks.DRIVER_RIM_REVOCATION, c -> rimRevocation(c, c.driverRimPath, "driver RIM"));
        steps.put(GpuChecks.VBIOS_RIM, c -> rim(c, false));
        steps.put(GpuChecks.VBIOS_RIM_REVOCATION, c -> rimRevocation(c, c.vbiosRimPath, "VBIOS RIM"));
        steps.put(GpuChecks.MEASUREMENTS, GpuVerifier::measurements);
        return steps;
    }

    private static void run(Context c, List<Check> checks, Map<String, Step> steps) {
        for (Map.Entry<String, Step> step : steps.entrySet()) {
            try {
                checks.add(Check.pass(step.getKey(), step.getValue().run(c)));
            } catch (CheckFailed | GpuFormatException e) {
                checks.add(Check.fail(step.getKey(), e.getMessage()));
                return;
            } catch (GeneralSecurityException | RuntimeException e) {
                checks.add(Check.fail(step.getKey(), e.getClass().getSimpleName() + ": " + e.getMessage()));
                return;
            }
        }
    }

    private String deviceChain(Context c) throws GpuFormatException, GeneralSecurityException {
        List<X509Certificate> presented = GpuCerts.pemChain(c.evidence.certificateChain(), "device certificate chain");
        c.devicePath = GpuCerts.validate(presented, deviceRoots, c.at, "NVIDIA Device Identity CA");
        List<String> names = c.devicePath.stream().map(GpuCerts::cn).toList();
        return String.join(" <- ", names) + " (pinned key " + GpuCerts.spkiSha256(c.devicePath.getLast()) + ")";
    }

    private static String architecture(Context c) throws CheckFailed {
        String cn = GpuCerts.cn(c.devicePath.getFirst());
        c.arch = GpuArchitecture.ofCommonName(cn);
        if (c.arch == null) {
            throw new CheckFailed("unknown GPU architecture: the device certificate is '" + cn
                    + "' (known: GH100 Hopper, GB100 Blackwell)");
        }
        String declared = c.evidence.declaredArchitecture();
        if (declared != null && !declared.strip().equalsIgnoreCase(c.arch.name())) {
            throw new CheckFailed("the evidence is labelled '" + declared + "' but the device certificate is "
                    + c.arch.label() + " ('" + cn + "')");
        }
        if (!c.policy.allowedArchitectures().contains(c.arch)) {
            throw new CheckFailed(c.arch.label() + " is not among the allowed architectures "
                    + c.policy.allowedArchitectures());
        }
        return c.arch.label() + " (" + c.arch.chip() + ", from '" + cn + "')";
    }

    private static String fwid(Context c) throws CheckFailed, GpuFormatException {
        c.fwid = DeviceCertificateFwid.of(c.devicePath.getFirst(), c.arch);
        String reported = c.report.opaque().fwidHex();
        if (reported == null) {
            // NVIDIA's verifiers skip the comparison for reports without the field (drivers before 550).
            return "the report has no FWID field (older driver); certificate FWID " + c.fwid.fwid() + " not compared";
        }
        if (!reported.equals(c.fwid.fwid())) {
            throw new CheckFailed("the report's FWID " + reported + " differs from the device certificate's "
                    + c.fwid.fwid());
        }
        return c.fwid.fwid() + " in the report and the device certificate";
    }

    private static String reportSignature(Context c) throws CheckFailed, GeneralSecurityException {
        if (!(c.devicePath.getFirst().getPublicKey() instanceof ECPublicKey key)
                || key.getParams().getCurve().getField().getFieldSize() != 384) {
            throw new CheckFailed("the device certificate key is not ECDSA P-384");
        }
        Signature s = Signature.getInstance("SHA384withECDSAinP1363Format");
        s.initVerify(key);
        s.update(c.report.signedBytes());
        if (!s.verify(c.report.signature())) {
            throw new CheckFailed("the report is not signed by the device certificate's key");
        }
        return "ECDSA P-384/SHA-384 over request and response with '" + GpuCerts.cn(c.devicePath.getFirst()) + "'";
    }

    private static String nonce(Context c) throws CheckFailed {
        if (c.expectedNonce == null || c.expectedNonce.length != SpdmReport.NONCE_SIZE) {
            throw new CheckFailed("no 32-byte expected nonce given: evidence without the verifier's nonce may be"
                    + " a replay");
        }
        if (!MessageDigest.isEqual(c.expectedNonce, c.report.nonce())) {
            throw new CheckFailed("the report answers nonce " + HexFormat.of().formatHex(c.report.nonce())
                    + ", not the expected " + HexFormat.of().formatHex(c.expectedNonce));
        }
        return HexFormat.of().formatHex(c.expectedNonce);
    }

    private static String versions(Context c) throws CheckFailed {
        String driver = c.report.opaque().driverVersion();
        String vbios = c.report.opaque().vbiosVersion();
        List<String> checked = new ArrayList<>();
        if (c.policy.minDriverVersion() != null) {
            if (driver == null || GpuVersions.compare(GpuVersions.driver(driver),
                    GpuVersions.driver(c.policy.minDriverVersion())) < 0) {
                throw new CheckFailed("driver " + driver + " is older than the policy's minimum "
                        + c.policy.minDriverVersion());
            }
            checked.add("driver " + driver + " >= " + c.policy.minDriverVersion());
        }
        if (c.policy.minVbiosVersion() != null) {
            if (vbios == null || GpuVersions.compare(GpuVersions.vbios(vbios),
                    GpuVersions.vbios(c.policy.minVbiosVersion())) < 0) {
                throw new CheckFailed("VBIOS " + vbios + " is older than the policy's minimum "
                        + c.policy.minVbiosVersion());
            }
            checked.add("VBIOS " + vbios + " >= " + c.policy.minVbiosVersion());
        }
        return checked.isEmpty() ? "driver " + driver + ", VBIOS " + vbios + " (the policy sets no minimum)"
                : String.join(", ", checked);
    }

    private static String debugState(Context c) throws CheckFailed {
        String mode = mode(c.report.opaque());
        if (c.arch == GpuArchitecture.BLACKWELL) {
            if (c.fwid.debug()) {
                throw new CheckFailed("the device certificate's DICE TcbInfo flags mark the firmware as debug ("
                        + c.fwid.flags() + ")");
            }
            return "DICE TcbInfo flags " + c.fwid.flags() + ": no debug" + mode + measuredNote(c);
        }
        return "Hopper evidence carries no debug flag" + mode + measuredNote(c);
    }

    private static String measuredNote(Context c) {
        return c.policy.requireRims()
                ? "; production (debug off, secure boot) is established by the measurements check against the RIMs"
                : "; the policy does not compare measurements, so debug and secure-boot state are NOT established";
    }

    private static String mode(OpaqueData o) {
        byte[] flag = o.raw(OpaqueData.FEATURE_FLAG);
        if (flag == null || flag.length == 0) {
            return "";
        }
        int v = flag[0] & 0xff | (flag.length > 1 ? (flag[1] & 0xff) << 8 : 0);
        return switch (v) {
            case 0 -> ", CC mode single-GPU passthrough (SPT)";
            case 1 -> ", CC mode multi-GPU passthrough (MPT)";
            case 2 -> ", CC mode protected PCIe (PPCIe)";
            default -> ", CC feature flag " + v;
        };
    }

    private static String deviceRevocation(Context c) throws CheckFailed, GeneralSecurityException {
        // The leaf is made by the GPU's firmware at boot and the root is pinned: NVIDIA's OCSP service covers the
        // certificates in between.
        return revocation(c, c.devicePath, 1, "device chain");
    }

    private static String rimRevocation(Context c, List<X509Certificate> path, String what)
            throws CheckFailed, GeneralSecurityException {
        if (path == null) {
            return "no " + what + " (the policy does not require RIMs)";
        }
        return revocation(c, path, 0, what + " signing chain");
    }

    private static String revocation(Context c, List<X509Certificate> path, int from, String what)
            throws CheckFailed, GeneralSecurityException {
        if (c.collateral.ocsp().size() == 0) {
            if (c.policy.acceptUncheckedRevocation()) {
                return "NOT CHECKED: no OCSP collateral supplied and the policy accepts unchecked revocation ("
                        + what + ")";
            }
            throw new CheckFailed("not checked: no OCSP collateral supplied for the " + what
                    + " and the policy requires it (supply OCSP responses, or accept unchecked revocation explicitly)");
        }
        List<String> good = new ArrayList<>();
        for (int i = from; i < path.size() - 1; i++) {
            good.add(c.collateral.ocsp().check(path.get(i), path.get(i + 1), path.subList(i + 2, path.size()), c.at,
                    c.policy.ocspMaxAge()));
        }
        return String.join("; ", good);
    }

    private String rim(Context c, boolean driver) throws CheckFailed, GpuFormatException, GeneralSecurityException {
        String kind = driver ? "driver" : "VBIOS";
        String version = driver ? c.report.opaque().driverVersion() : c.report.opaque().vbiosVersion();
        if (!c.policy.requireRims()) {
            return "NOT CHECKED: the policy does not require RIMs";
        }
        if (version == null) {
            throw new CheckFailed("the report has no " + kind + " version");
        }
        Rim found = null;
        List<String> unparsable = new ArrayList<>();
        for (byte[] xml : c.collateral.rims()) {
            try {
                Rim r = Rim.parse(xml);
                if (r.version().equalsIgnoreCase(version)) {
                    if (found != null) {
                        throw new CheckFailed("two RIMs in the collateral have version " + version);
                    }
                    found = r;
                }
            } catch (GpuFormatException e) {
                unparsable.add(e.getMessage());
            }
        }
        if (found == null) {
            throw new CheckFailed("no " + kind + " RIM for version " + version + " among the "
                    + c.collateral.rims().size() + " RIMs of the collateral"
                    + (unparsable.isEmpty() ? "" : " (unparsable: " + String.join("; ", unparsable) + ")"));
        }
        if (!found.product().equalsIgnoreCase(c.arch.chip())) {
            throw new CheckFailed("the " + kind + " RIM " + version + " is for " + found.product() + ", not "
                    + c.arch.chip());
        }
        List<X509Certificate> path = found.verify(rimRoots, c.at);
        if (driver) {
            c.driverRim = found;
            c.driverRimPath = path;
        } else {
            c.vbiosRim = found;
            c.vbiosRimPath = path;
        }
        long active = found.measurements().values().stream().filter(Rim.Measurement::active).count();
        return version + " for " + found.product() + ", " + active + " active measurements, signed by '"
                + GpuCerts.cn(path.getFirst()) + "' (valid to " + path.getFirst().getNotAfter().toInstant()
                + ") <- pinned root '" + GpuCerts.cn(path.getLast()) + "'";
    }

    private static String measurements(Context c) throws CheckFailed {
        if (!c.policy.requireRims()) {
            return "NOT CHECKED: the policy does not require RIMs; the measurements were not compared";
        }
        Map<Integer, Rim.Measurement> golden = new TreeMap<>();
        Map<Integer, String> source = new TreeMap<>();
        for (Rim.Measurement m : c.driverRim.measurements().values()) {
            if (m.active()) {
                golden.put(m.index(), m);
                source.put(m.index(), "driver");
            }
        }
        for (Rim.Measurement m : c.vbiosRim.measurements().values()) {
            if (m.active()) {
                if (golden.containsKey(m.index())) {
                    throw new CheckFailed("the driver and VBIOS RIMs both have an active measurement at index "
                            + m.index());
                }
                golden.put(m.index(), m);
                source.put(m.index(), "VBIOS");
            }
        }
        if (golden.size() > c.report.blocks().size()) {
            throw new CheckFailed("the RIMs have " + golden.size() + " active measurements, the report only "
                    + c.report.blocks().size());
        }
        int nvdec = c.report.opaque().nvdec0Status();
        boolean skip35 = nvdec == OpaqueData.NVDEC0_DISABLED;
        if (nvdec != -1 && nvdec != OpaqueData.NVDEC0_DISABLED && nvdec != OpaqueData.NVDEC0_ENABLED) {
            throw new CheckFailed(String.format("unknown NVDEC0 status 0x%02x", nvdec));
        }
        List<String> mismatches = new ArrayList<>();
        int compared = 0;
        for (Rim.Measurement m : golden.values()) {
            if (m.index() == 35 && skip35) {
                continue; // as NVIDIA's verifiers: measurement 35 covers NVDEC0, which this GPU reports disabled
            }
            SpdmReport.Block block = c.report.blocks().get(m.index() + 1);
            String value = block == null ? null : HexFormat.of().formatHex(block.value());
            if (value == null || block.value().length != m.size() || !m.alternatives().contains(value)) {
                mismatches.add(m.index() + " (" + source.get(m.index()) + ")");
            }
            compared++;
        }
        if (!mismatches.isEmpty()) {
            throw new CheckFailed("the report does not match the RIMs at measurement index "
                    + String.join(", ", mismatches));
        }
        return compared + " active measurements match (driver " + c.driverRim.version() + ", VBIOS "
                + c.vbiosRim.version() + ")" + (skip35 ? "; index 35 skipped, NVDEC0 disabled" : "")
                + "; debug off and secure boot as the RIMs define them";
    }

    /** SHA-384 of the signed measurement record, lower-case hex: one value that names this GPU's measured state. */
    static String measurementDigest(SpdmReport report) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-384").digest(report.measurementRecord()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
