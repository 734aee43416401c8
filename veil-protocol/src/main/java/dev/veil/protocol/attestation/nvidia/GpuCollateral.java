package dev.veil.protocol.attestation.nvidia;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * What the operator supplies to verify GPU evidence beyond the evidence itself: NVIDIA's signed RIMs for the driver
 * and the VBIOS the GPUs run, and OCSP responses for the device and RIM certificate chains, fetched ahead of time from
 * NVIDIA's RIM and OCSP services (like Intel's TDX collateral).
 *
 * <p>{@link #load(Path)} reads one directory: {@code *.xml} and {@code *.swidtag} files are RIMs (the verifier picks,
 * per GPU, the one whose version is the report's driver version and the one whose version is its VBIOS version),
 * {@code *.ocsp} and {@code *.der} files (also in an {@code ocsp/} subdirectory) are DER OCSP responses. RIMs are
 * and OCSP responses are parsed when used, so a malformed one fails the check that needed it rather than the load.
 *
 * @param rims the RIM files' bytes
 * @param ocsp the OCSP responses
 */
public record GpuCollateral(List<byte[]> rims, OcspCollateral ocsp) {

    /** The most files a collateral directory may hold. */
    public static final int MAX_FILES = 256;

    public GpuCollateral {
        rims = List.copyOf(rims);
        ocsp = ocsp == null ? OcspCollateral.empty() : ocsp;
    }

    /** No RIMs and no OCSP responses. */
    public static GpuCollateral none() {
        return new GpuCollateral(List.of(), OcspCollateral.empty());
    }

    /**
     * Loads a collateral directory (see the class comment). Only reading fails here (a missing directory, too many or
     * too large files); malformed RIMs and OCSP responses fail the checks that need them.
     */
    public static GpuCollateral load(Path dir) throws IOException, GpuFormatException {
        List<byte[]> rims = new ArrayList<>();
        List<byte[]> ocsp = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(Files::isRegularFile).sorted().forEach(files::add);
        }
        Path sub = dir.resolve("ocsp");
        if (Files.isDirectory(sub)) {
            try (Stream<Path> s = Files.list(sub)) {
                s.filter(Files::isRegularFile).sorted().forEach(files::add);
            }
        }
        if (files.size() > MAX_FILES) {
            throw new GpuFormatException(dir.toString(), "more than " + MAX_FILES + " files");
        }
        for (Path f : files) {
            String name = f.getFileName().toString().toLowerCase(Locale.ROOT);
            boolean inOcsp = f.getParent().equals(sub);
            if (!inOcsp && (name.endsWith(".xml") || name.endsWith(".swidtag"))) {
                rims.add(read(f, Rim.MAX_SIZE));
            } else if (inOcsp || name.endsWith(".ocsp") || name.endsWith(".der")) {
                ocsp.add(read(f, OcspCollateral.MAX_SIZE));
            }
        }
        return new GpuCollateral(rims, OcspCollateral.of(ocsp));
    }

    private static byte[] read(Path f, int max) throws IOException, GpuFormatException {
        if (Files.size(f) > max) {
            throw new GpuFormatException(f.toString(), "larger than " + max + " bytes");
        }
        return Files.readAllBytes(f);
    }
}
