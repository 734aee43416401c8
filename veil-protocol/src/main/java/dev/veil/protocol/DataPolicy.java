package dev.veil.protocol;

/**
 * A provider's data policy for one route, as the operator declares it. A field left out ({@code null}) counts as the
 * worst case: the provider trains on the data, retains it for an unknown time, runs outside a TEE and sees plaintext.
 *
 * @param trains        whether the provider may train on requests; {@code null} = assumed yes
 * @param retentionDays how long the provider keeps requests; 0 = not at all; {@code null} = unknown (assumed forever)
 * @param zdr           whether the provider contractually guarantees zero data retention
 * @param tee           the TEE the model runs in; {@code null} = none
 * @param e2ee          whether requests are end-to-end encrypted to the TEE's attested key
 * @param jurisdiction  where the provider processes data (ISO country or region code such as {@code EU}); {@code null} = unknown
 * @param policyUrl     where the provider publishes its policy; informational
 */
public record DataPolicy(Boolean trains, Integer retentionDays, Boolean zdr, TeeKind tee, Boolean e2ee,
                         String jurisdiction, String policyUrl) {

    /** The policy of a provider that declared nothing: the worst case in every field. */
    public static final DataPolicy UNKNOWN = new DataPolicy(null, null, null, null, null, null, null);

    /** True only when the provider is declared not to train on requests. */
    public boolean neverTrains() {
        return Boolean.FALSE.equals(trains);
    }

    /** True only when the provider is declared to keep nothing (zdr, or a retention of zero days). */
    public boolean zeroRetention() {
        return Boolean.TRUE.equals(zdr) || (retentionDays != null && retentionDays == 0);
    }

    /** The TEE kind, {@link TeeKind#NONE} when undeclared. */
    public TeeKind teeKind() {
        return tee == null ? TeeKind.NONE : tee;
    }

    /**
     * The strongest privacy mode this policy guarantees. Modes nest: {@code tee} requires everything {@code private}
     * does, {@code e2ee} everything {@code tee} does.
     */
    public PrivacyMode mode() {
        if (!(neverTrains() && zeroRetention())) {
            return PrivacyMode.ANONYMIZED;
        }
        if (teeKind() == TeeKind.NONE) {
            return PrivacyMode.PRIVATE;
        }
        return Boolean.TRUE.equals(e2ee) ? PrivacyMode.E2EE : PrivacyMode.TEE;
    }
}
