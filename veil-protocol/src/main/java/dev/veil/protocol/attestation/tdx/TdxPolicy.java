package dev.veil.protocol.attestation.tdx;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a verified TDX quote must additionally show. Hex values are compared case-insensitively and stored lower-case.
 * {@link #DEFAULT}: any MRTD/RTMR/XFAM/MRSEAM/report data, debug TDs refused, collateral required, TCB UpToDate only.
 *
 * @param allowedMrTd         MRTD values (96 hex chars) accepted; empty = any
 * @param expectedRtmrs       RTMR index (0..3) to its expected value (96 hex chars); absent indexes are not checked
 * @param allowDebug          whether a TD with the TDATTRIBUTES DEBUG bit may pass (never in production)
 * @param expectedXfam        XFAM (16 hex chars, as the 8 bytes appear in the quote), or null = not checked
 * @param allowedMrSeam       MRSEAM values (TDX module measurements, 96 hex chars) accepted; empty = any
 * @param requiredReportData  REPORTDATA (128 hex chars) the quote must carry, or null = not checked here
 * @param acceptedTcbStatuses TCB statuses accepted (non-empty)
 * @param collateralOptional  whether a quote may pass without collateral (TCB status, CRLs and QE identity then NOT
 *                            checked); false unless explicitly set
 */
public record TdxPolicy(Set<String> allowedMrTd, Map<Integer, String> expectedRtmrs, boolean allowDebug,
                        String expectedXfam, Set<String> allowedMrSeam, String requiredReportData,
                        Set<TcbStatus> acceptedTcbStatuses, boolean collateralOptional) {

    /** Any measurement, no debug, collateral required, UpToDate only. */
    public static final TdxPolicy DEFAULT = new TdxPolicy(Set.of(), Map.of(), false, null, Set.of(), null,
            Set.of(TcbStatus.UP_TO_DATE), false);

    public TdxPolicy {
        allowedMrTd = hexSet(allowedMrTd, 48, "MRTD");
        allowedMrSeam = hexSet(allowedMrSeam, 48, "MRSEAM");
        Map<Integer, String> rtmrs = new HashMap<>();
        Map<Integer, String> given = expectedRtmrs == null ? Map.of() : expectedRtmrs;
        for (Map.Entry<Integer, String> e : given.entrySet()) {
            if (e.getKey() == null || e.getKey() < 0 || e.getKey() > 3) {
                throw new IllegalArgumentException("RTMR index must be 0..3, got " + e.getKey());
            }
            rtmrs.put(e.getKey(), hex(e.getValue(), 48, "RTMR" + e.getKey()));
        }
        expectedRtmrs = Map.copyOf(rtmrs);
        expectedXfam = expectedXfam == null ? null : hex(expectedXfam, 8, "XFAM");
        requiredReportData = requiredReportData == null ? null : hex(requiredReportData, 64, "report data");
        if (acceptedTcbStatuses == null || acceptedTcbStatuses.isEmpty()) {
            throw new IllegalArgumentException("at least one TCB status must be accepted");
        }
        acceptedTcbStatuses = Set.copyOf(acceptedTcbStatuses);
    }

    public TdxPolicy withAllowedMrTd(String... mrTd) {
        return new TdxPolicy(Set.copyOf(List.of(mrTd)), expectedRtmrs, allowDebug, expectedXfam, allowedMrSeam,
                requiredReportData, acceptedTcbStatuses, collateralOptional);
    }

    public TdxPolicy withRtmr(int index, String value) {
        Map<Integer, String> rtmrs = new HashMap<>(expectedRtmrs);
        rtmrs.put(index, value);
        return new TdxPolicy(allowedMrTd, rtmrs, allowDebug, expectedXfam, allowedMrSeam, requiredReportData,
                acceptedTcbStatuses, collateralOptional);
    }

    public TdxPolicy withDebugAllowed(boolean allow) {
        return new TdxPolicy(allowedMrTd, expectedRtmrs, allow, expectedXfam, allowedMrSeam, requiredReportData,
                acceptedTcbStatuses, collateralOptional);
    }

    public TdxPolicy withXfam(String xfam) {
        return new TdxPolicy(allowedMrTd, expectedRtmrs, allowDebug, xfam, allowedMrSeam, requiredReportData,
                acceptedTcbStatuses, collateralOptional);
    }

    public TdxPolicy withAllowedMrSeam(String... mrSeam) {
        return new TdxPolicy(allowedMrTd, expectedRtmrs, allowDebug, expectedXfam, Set.copyOf(List.of(mrSeam)),
                requiredReportData, acceptedTcbStatuses, collateralOptional);
    }

    public TdxPolicy withReportData(byte[] reportData) {
        return new TdxPolicy(allowedMrTd, expectedRtmrs, allowDebug, expectedXfam, allowedMrSeam,
                HexFormat.of().formatHex(reportData), acceptedTcbStatuses, collateralOptional);
    }

    public TdxPolicy withAcceptedTcbStatuses(TcbStatus first, TcbStatus... more) {
        return new TdxPolicy(allowedMrTd, expectedRtmrs, allowDebug, expectedXfam, allowedMrSeam, requiredReportData,
                EnumSet.of(first, more), collateralOptional);
    }

    public TdxPolicy withCollateralOptional(boolean optional) {
        return new TdxPolicy(allowedMrTd, expectedRtmrs, allowDebug, expectedXfam, allowedMrSeam, requiredReportData,
                acceptedTcbStatuses, optional);
    }

    private static Set<String> hexSet(Set<String> values, int bytes, String what) {
        Set<String> out = new HashSet<>();
        for (String v : values == null ? List.<String>of() : values) {
            out.add(hex(v, bytes, what));
        }
        return Set.copyOf(out);
    }

    private static String hex(String value, int bytes, String what) {
        if (value == null || value.length() != 2 * bytes) {
            throw new IllegalArgumentException(what + " must be " + 2 * bytes + " hex characters");
        }
        try {
            HexFormat.of().parseHex(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " must be hex", e);
        }
        return value.toLowerCase(Locale.ROOT);
    }
}
