package dev.veil.protocol.attestation.snp;

import java.util.ArrayList;
import java.util.List;

/**
 * The security patch levels (SPLs) of a TCB_VERSION. The 64-bit little-endian field has two layouts (SEV-SNP ABI
 * "TCB_VERSION"; Turin layout as in {@code virtee/sev}): Milan and Genoa put BOOT_LOADER in byte 0, TEE in byte 1,
 * four reserved bytes, SNP in byte 6 and MICROCODE in byte 7; Turin puts FMC in byte 0, BOOT_LOADER in byte 1, TEE in
 * byte 2, SNP in byte 3, three reserved bytes and MICROCODE in byte 7.
 *
 * @param fmc        the FMC (first mutable code) SPL, or {@code -1} where the layout has none (Milan, Genoa) or a
 *                   minimum does not constrain it
 * @param bootloader the PSP bootloader SPL
 * @param tee        the PSP operating system SPL
 * @param snp        the SNP firmware SPL
 * @param microcode  the lowest microcode patch level of all cores
 */
public record TcbVersion(int fmc, int bootloader, int tee, int snp, int microcode) {

    public TcbVersion {
        check("fmc", fmc, -1);
        check("bootloader", bootloader, 0);
        check("tee", tee, 0);
        check("snp", snp, 0);
        check("microcode", microcode, 0);
    }

    private static void check(String name, int value, int min) {
        if (value < min || value > 255) {
            throw new IllegalArgumentException(name + " SPL must be a byte, got " + value);
        }
    }

    /** A TCB without FMC SPL, e.g. a minimum for any product. */
    public static TcbVersion of(int bootloader, int tee, int snp, int microcode) {
        return new TcbVersion(-1, bootloader, tee, snp, microcode);
    }

    /** This TCB with an FMC SPL (Turin). */
    public TcbVersion withFmc(int fmcSpl) {
        return new TcbVersion(fmcSpl, bootloader, tee, snp, microcode);
    }

    /** Whether an FMC SPL is present. */
    public boolean hasFmc() {
        return fmc >= 0;
    }

    /** Interprets a raw TCB_VERSION in {@code product}'s layout. */
    public static TcbVersion decode(long raw, SnpProduct product) {
        if (product.fmcTcbLayout()) {
            return new TcbVersion(b(raw, 0), b(raw, 1), b(raw, 2), b(raw, 3), b(raw, 7));
        }
        return new TcbVersion(-1, b(raw, 0), b(raw, 1), b(raw, 6), b(raw, 7));
    }

    private static int b(long raw, int index) {
        return (int) (raw >>> (8 * index)) & 0xff;
    }

    /**
     * The components below {@code minimum}, e.g. {@code ["snp 5 < 8"]}; empty when this TCB meets it. The FMC SPL is
     * compared only when both have one.
     */
    public List<String> shortfallsAgainst(TcbVersion minimum) {
        List<String> out = new ArrayList<>();
        if (hasFmc() && minimum.hasFmc() && fmc < minimum.fmc) {
            out.add("fmc " + fmc + " < " + minimum.fmc);
        }
        below(out, "bootloader", bootloader, minimum.bootloader);
        below(out, "tee", tee, minimum.tee);
        below(out, "snp", snp, minimum.snp);
        below(out, "microcode", microcode, minimum.microcode);
        return out;
    }

    private static void below(List<String> out, String name, int value, int min) {
        if (value < min) {
            out.add(name + " " + value + " < " + min);
        }
    }

    @Override
    public String toString() {
        return (hasFmc() ? "fmc=" + fmc + " " : "") + "bootloader=" + bootloader + " tee=" + tee + " snp=" + snp
                + " microcode=" + microcode;
    }
}
