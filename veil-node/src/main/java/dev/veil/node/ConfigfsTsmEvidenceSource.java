package dev.veil.node;

import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.attestation.ReportData;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.KeyConfig;
import dev.veil.protocol.e2ee.SigningKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;

/**
 * Hardware evidence from the Linux configfs-tsm interface ({@code /sys/kernel/config/tsm/report}), present in
 * SEV-SNP and TDX guests: make a report entry, write the 64 bytes of report data to {@code inblob}, read back the
 * report or quote from {@code outblob}, the {@code provider} ({@code sev_guest} or {@code tdx_guest}) and, for
 * SEV-SNP, the host's certificate table from {@code auxblob}; {@code generation} tells whether another writer raced
 * us. The entry is removed afterwards.
 */
public final class ConfigfsTsmEvidenceSource implements EvidenceSource {

    /** Where the kernel mounts the interface. */
    public static final Path DEFAULT_ROOT = Path.of("/sys/kernel/config/tsm/report");
    private static final int ATTEMPTS = 3;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path root;
    private final String format;
    private final Kernel kernel;

    /**
     * What the kernel does behind the files; a no-op on a real configfs. Tests emulate it on a plain directory: create
     * the attribute files when an entry is made, and produce the report when {@code inblob} was written.
     */
    interface Kernel {
        Kernel REAL = new Kernel() {
        };

        default void created(Path entry) throws IOException {
        }

        default void inblobWritten(Path entry) throws IOException {
        }
    }

    private ConfigfsTsmEvidenceSource(Path root, String format, Kernel kernel) {
        this.root = root;
        this.format = format;
        this.kernel = kernel;
    }

    /** The source at {@code root} when the interface is there and names a known provider; empty otherwise. */
    public static Optional<ConfigfsTsmEvidenceSource> detect(Path root) {
        return detect(root, Kernel.REAL);
    }

    /** As {@link #detect(Path)} over an emulated kernel (tests). */
    static Optional<ConfigfsTsmEvidenceSource> detect(Path root, Kernel kernel) {
        if (!Files.isDirectory(root) || !Files.isWritable(root)) {
            return Optional.empty();
        }
        Path probe = root.resolve("veil-probe-" + Long.toHexString(RANDOM.nextLong()));
        try {
            Files.createDirectory(probe);
            kernel.created(probe);
            String provider = Files.readString(probe.resolve("provider"), StandardCharsets.US_ASCII).trim();
            return formatOf(provider).map(f -> new ConfigfsTsmEvidenceSource(root, f, kernel));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        } finally {
            deleteQuietly(probe);
        }
    }

    @Override
    public String format() {
        return format;
    }

    @Override
    public Evidence attest(KeyConfig keyConfig, SigningKey signingKey, byte[] nonce, byte[] gpuSetDigest) {
        byte[] reportData = ReportData.compute(keyConfig.encoded(), signingKey.publicKey(), nonce, gpuSetDigest);
        IOException last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Path entry = root.resolve("veil-" + Long.toHexString(RANDOM.nextLong()));
            try {
                Files.createDirectory(entry);
                kernel.created(entry);
                Files.write(entry.resolve("inblob"), reportData);
                kernel.inblobWritten(entry);
                long generation = generation(entry);
                byte[] report = Files.readAllBytes(entry.resolve("outblob"));
                Path aux = entry.resolve("auxblob");
                byte[] certificates = Files.exists(aux) ? Files.readAllBytes(aux) : null;
                if (generation(entry) != generation) {
                    continue; // Another writer changed the entry between our write and read: the report may not be ours.
                }
                return new Evidence(format, keyConfig.nodeKeyId(), keyConfig.encoded(), signingKey.publicKey(),
                        nonce.clone(), reportData, report, measurement(format, report),
                        certificates == null || certificates.length == 0 ? null : certificates);
            } catch (IOException e) {
                last = e;
            } finally {
                deleteQuietly(entry);
            }
        }
        throw new UncheckedIOException("configfs-tsm did not produce a report", last != null ? last
                : new IOException("the report entry kept changing under us"));
    }

    private static long generation(Path entry) throws IOException {
        Path file = entry.resolve("generation");
        return Files.exists(file) ? Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim()) : 0;
    }

    /** The launch measurement: SEV-SNP MEASUREMENT (report 0x90, 48 bytes), TDX MRTD (quote 0xB8, 48 bytes). */
    static String measurement(String format, byte[] report) {
        int offset = format.equals("sev-snp") ? 0x90 : 0xB8;
        if (report.length < offset + 48) {
            throw new IllegalStateException("the " + format + " report is too short");
        }
        return E2ee.hex(Arrays.copyOfRange(report, offset, offset + 48));
    }

    static Optional<String> formatOf(String provider) {
        return switch (provider) {
            case "sev_guest" -> Optional.of("sev-snp");
            case "tdx_guest" -> Optional.of("tdx");
            default -> Optional.empty();
        };
    }

    private static void deleteQuietly(Path entry) {
        try {
            // configfs removes the attribute files itself; a plain directory (tests) needs them removed first.
            if (Files.isDirectory(entry)) {
                try (var files = Files.list(entry)) {
                    files.forEach(f -> {
                        try {
                            Files.deleteIfExists(f);
                        } catch (IOException e) {
                            // configfs attributes cannot be deleted; rmdir below removes them
                        }
                    });
                }
            }
            Files.deleteIfExists(entry);
        } catch (IOException e) {
            // Best effort: a leftover entry holds no secret, only the last report.
        }
    }
}
