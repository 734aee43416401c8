package dev.veil.protocol.attestation.snp;

import java.util.Optional;

/**
 * An AMD EPYC product line with SEV-SNP, as the AMD Key Distribution Service names it. Each line has its own AMD root
 * key (ARK) and its own TCB_VERSION layout.
 */
public enum SnpProduct {
    /** 3rd generation EPYC (Zen 3): CPUID family 19h, model 01h. */
    MILAN("Milan", 0x19, 0x01, false),
    /** 4th generation EPYC (Zen 4): CPUID family 19h, model 11h. */
    GENOA("Genoa", 0x19, 0x11, false),
    /** 5th generation EPYC (Zen 5): CPUID family 1Ah, model 02h; its TCB_VERSION carries an FMC SPL. */
    TURIN("Turin", 0x1A, 0x02, true);

    private final String productLine;
    private final int cpuidFamily;
    private final int cpuidModel;
    private final boolean fmcTcbLayout;

    SnpProduct(String productLine, int cpuidFamily, int cpuidModel, boolean fmcTcbLayout) {
        this.productLine = productLine;
        this.cpuidFamily = cpuidFamily;
        this.cpuidModel = cpuidModel;
        this.fmcTcbLayout = fmcTcbLayout;
    }

    /** The KDS product line name, e.g. {@code Milan}. */
    public String productLine() {
        return productLine;
    }

    /** Whether TCB_VERSION has the Turin layout (FMC, bootloader, TEE, SNP, reserved, microcode). */
    public boolean fmcTcbLayout() {
        return fmcTcbLayout;
    }

    /** Common name of the product's self-signed AMD root key certificate, e.g. {@code ARK-Milan}. */
    public String arkCommonName() {
        return "ARK-" + productLine;
    }

    /** The product whose KDS name is {@code productLine}, if any. */
    public static Optional<SnpProduct> fromProductLine(String productLine) {
        for (SnpProduct p : values()) {
            if (p.productLine.equals(productLine)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The product of a combined CPUID family and model as a version-3+ report carries them, if known. */
    public static Optional<SnpProduct> fromCpuid(int family, int model) {
        for (SnpProduct p : values()) {
            if (p.cpuidFamily == family && p.cpuidModel == model) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
