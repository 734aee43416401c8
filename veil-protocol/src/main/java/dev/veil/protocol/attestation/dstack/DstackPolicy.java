package dev.veil.protocol.attestation.dstack;

import dev.veil.protocol.attestation.nvidia.GpuPolicy;
import dev.veil.protocol.attestation.tdx.TdxPolicy;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;

/**
 * What a hosted dstack-shape attestation must show beyond its signatures. {@link #DEFAULT}: Intel's default TDX
 * policy (collateral required, UpToDate only, no debug TD), NVIDIA's default GPU policy (RIMs and OCSP responses
 * required), at least one GPU, any compose hash.
 *
 * @param tdx                  the TDX quote's policy (its {@code requiredReportData} must be null: the report data is
 *                             checked against the signing key and the verifier's nonce instead)
 * @param gpu                  every GPU's policy
 * @param minGpus              how many verified GPUs the attestation must carry, 0..64
 * @param allowedComposeHashes dstack {@code compose-hash} values (64 hex) accepted from the replayed RTMR3; empty = any
 */
public record DstackPolicy(TdxPolicy tdx, GpuPolicy gpu, int minGpus, Set<String> allowedComposeHashes) {

    public static final DstackPolicy DEFAULT = new DstackPolicy(TdxPolicy.DEFAULT, GpuPolicy.DEFAULT, 1, Set.of());

    public DstackPolicy {
        if (tdx == null || gpu == null) {
            throw new IllegalArgumentException("a TDX and a GPU policy are required");
        }
        if (tdx.requiredReportData() != null) {
            throw new IllegalArgumentException("the report data of a dstack attestation is derived from its signing key"
                    + " and the nonce; do not fix it in the TDX policy");
        }
        if (minGpus < 0 || minGpus > 64) {
            throw new IllegalArgumentException("minGpus must be 0..64");
        }
        Set<String> hashes = new HashSet<>();
        for (String h : allowedComposeHashes == null ? Set.<String>of() : allowedComposeHashes) {
            if (h == null || h.length() != 64) {
                throw new IllegalArgumentException("a compose hash is 64 hex characters");
            }
            HexFormat.of().parseHex(h);
            hashes.add(h.toLowerCase(Locale.ROOT));
        }
        allowedComposeHashes = Set.copyOf(hashes);
    }

    public DstackPolicy withTdx(TdxPolicy policy) {
        return new DstackPolicy(policy, gpu, minGpus, allowedComposeHashes);
    }

    public DstackPolicy withGpu(GpuPolicy policy) {
        return new DstackPolicy(tdx, policy, minGpus, allowedComposeHashes);
    }

    public DstackPolicy withMinGpus(int min) {
        return new DstackPolicy(tdx, gpu, min, allowedComposeHashes);
    }

    public DstackPolicy withAllowedComposeHashes(Set<String> hashes) {
        return new DstackPolicy(tdx, gpu, minGpus, hashes);
    }
}
