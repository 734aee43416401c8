package dev.veil.protocol.attestation.tdx;

/**
 * A TCB status as Intel PCS TCB info and QE identity state it, and as the verifier concludes it for a quote (the
 * platform, TDX module and QE statuses converged as Intel's Quote Verification Library does).
 */
public enum TcbStatus {
    UP_TO_DATE("UpToDate"),
    SW_HARDENING_NEEDED("SWHardeningNeeded"),
    CONFIGURATION_NEEDED("ConfigurationNeeded"),
    CONFIGURATION_AND_SW_HARDENING_NEEDED("ConfigurationAndSWHardeningNeeded"),
    OUT_OF_DATE("OutOfDate"),
    OUT_OF_DATE_CONFIGURATION_NEEDED("OutOfDateConfigurationNeeded"),
    TD_RELAUNCH_ADVISED("TDRelaunchAdvised"),
    TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED("TDRelaunchAdvisedConfigurationNeeded"),
    REVOKED("Revoked");

    private final String intelName;

    TcbStatus(String intelName) {
        this.intelName = intelName;
    }

    /** The name Intel uses, e.g. {@code UpToDate}. */
    public String intelName() {
        return intelName;
    }

    /** The status Intel names {@code name}. */
    public static TcbStatus ofIntelName(String name) throws TdxFormatException {
        for (TcbStatus s : values()) {
            if (s.intelName.equals(name)) {
                return s;
            }
        }
        throw new TdxFormatException("tcbStatus", "unrecognized TCB status '" + name + "'");
    }

    boolean configurationNeeded() {
        return this == CONFIGURATION_NEEDED || this == OUT_OF_DATE_CONFIGURATION_NEEDED
                || this == CONFIGURATION_AND_SW_HARDENING_NEEDED || this == TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
    }

    @Override
    public String toString() {
        return intelName;
    }
}
