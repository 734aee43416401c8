package dev.veil.gateway.config;

import dev.veil.protocol.DataPolicy;
import dev.veil.protocol.PrivacyMode;
import dev.veil.protocol.TeeKind;

/**
 * A route's data policy as written in YAML ({@code policy:}). Every field is optional; a field left out stays
 * {@code null}, which counts as the worst case (see {@link DataPolicy}).
 *
 * @param trains        whether the provider may train on requests; {@code null} = assumed yes
 * @param retentionDays how many days the provider keeps requests, at least 0; {@code null} = unknown
 * @param zdr           whether the provider guarantees zero data retention
 * @param tee           the TEE wire name: {@code none}, {@code sev-snp}, {@code tdx} or {@code simulated};
 *                      {@code null} = none
 * @param e2ee          whether requests are end-to-end encrypted to the TEE's attested key
 * @param jurisdiction  where the provider processes data, e.g. {@code EU}, {@code US}; informational
 * @param policyUrl     where the provider publishes its policy; informational
 */
public record PolicyConfig(Boolean trains, Integer retentionDays, Boolean zdr, String tee, Boolean e2ee,
                           String jurisdiction, String policyUrl) {

    /** A policy that declares nothing: the worst case. */
    public static final PolicyConfig UNKNOWN = new PolicyConfig(null, null, null, null, null, null, null);

    /**
     * The protocol form of this policy.
     *
     * @throws IllegalArgumentException when {@code tee} is not a known TEE wire name (the loader rejects such a
     *                                  configuration before it gets here)
     */
    public DataPolicy toDataPolicy() {
        TeeKind teeKind = tee == null ? null : TeeKind.fromWireName(tee);
        return new DataPolicy(trains, retentionDays, zdr, teeKind, e2ee, jurisdiction, policyUrl);
    }

    /** The strongest privacy mode this policy guarantees; shorthand for {@code toDataPolicy().mode()}. */
    public PrivacyMode mode() {
        return toDataPolicy().mode();
    }
}
