package dev.veil.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.attestation.ReportData;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.NodeKeyPair;
import dev.veil.protocol.e2ee.SigningKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** configfs-tsm, emulated on a plain directory the way the kernel behaves for one report entry. */
class ConfigfsTsmEvidenceSourceTest {

    @TempDir
    Path root;

    /** A fake guest kernel: SEV-SNP puts report data at 0x50 and MEASUREMENT at 0x90; TDX's MRTD sits at 0xB8. */
    private record FakeKernel(String provider, byte[] measurement, int reportDataOffset, int size)
            implements ConfigfsTsmEvidenceSource.Kernel {
        @Override
        public void created(Path entry) throws IOException {
            Files.writeString(entry.resolve("provider"), provider + "\n");
            Files.writeString(entry.resolve("generation"), "0\n");
        }

        @Override
        public void inblobWritten(Path entry) throws IOException {
            byte[] report = new byte[size];
            System.arraycopy(Files.readAllBytes(entry.resolve("inblob")), 0, report, reportDataOffset, 64);
            System.arraycopy(measurement, 0, report, provider.equals("sev_guest") ? 0x90 : 0xB8, 48);
            Files.write(entry.resolve("outblob"), report);
            Files.writeString(entry.resolve("generation"), "1\n");
            if (provider.equals("sev_guest")) {
                Files.write(entry.resolve("auxblob"), new byte[] {1, 2, 3});
            }
        }
    }

    @Test
    void snpReportBindsTheKeysAndTheEntryIsRemoved() throws Exception {
        byte[] measurement = new byte[48];
        Arrays.fill(measurement, (byte) 0x5a);
        ConfigfsTsmEvidenceSource source = ConfigfsTsmEvidenceSource.detect(root,
                new FakeKernel("sev_guest", measurement, 0x50, 0x4A0)).orElseThrow();
        assertThat(source.format()).isEqualTo("sev-snp");

        NodeKeyPair keys = NodeKeyPair.generate(3);
        SigningKey signing = SigningKey.generate();
        byte[] nonce = new byte[32];
        Arrays.fill(nonce, (byte) 7);
        Evidence evidence = source.attest(keys.keyConfig(), signing, nonce);
        assertThat(evidence.format()).isEqualTo("sev-snp");
        assertThat(evidence.reportData()).isEqualTo(ReportData.compute(keys.keyConfig().encoded(), signing.publicKey(), nonce));
        assertThat(Arrays.copyOfRange(evidence.raw(), 0x50, 0x90)).isEqualTo(evidence.reportData());
        assertThat(evidence.measurement()).isEqualTo(E2ee.hex(measurement));
        assertThat(evidence.certificates()).containsExactly(1, 2, 3);
        try (var left = Files.list(root)) {
            assertThat(left).as("report entries are removed").isEmpty();
        }
    }

    @Test
    void tdxQuoteGivesItsMrtd() throws Exception {
        byte[] mrtd = new byte[48];
        Arrays.fill(mrtd, (byte) 0x33);
        ConfigfsTsmEvidenceSource source = ConfigfsTsmEvidenceSource.detect(root,
                new FakeKernel("tdx_guest", mrtd, 0x238, 0x400)).orElseThrow();
        assertThat(source.format()).isEqualTo("tdx");
        Evidence evidence = source.attest(NodeKeyPair.generate(1).keyConfig(), SigningKey.generate(), new byte[32]);
        assertThat(evidence.measurement()).isEqualTo(E2ee.hex(mrtd));
        assertThat(evidence.certificates()).isNull();
    }

    @Test
    void absentOrUnknownInterfaceIsNotDetected() throws Exception {
        assertThat(ConfigfsTsmEvidenceSource.detect(root.resolve("missing"))).isEmpty();
        assertThat(ConfigfsTsmEvidenceSource.detect(root, new FakeKernel("arm_cca_guest", new byte[48], 0, 64))).isEmpty();
    }
}
