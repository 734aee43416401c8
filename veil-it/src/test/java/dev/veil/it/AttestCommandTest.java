package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code veil attest verify} on the public sample evidence kept in veil-protocol's test resources. */
@Timeout(120)
class AttestCommandTest {

    private static final Duration LIMIT = Duration.ofSeconds(30);
    private static final Path SAMPLES = Path.of(System.getProperty("veil.repo"), "veil-protocol/src/test/resources");

    @TempDir
    Path work;

    private CompatProcess.Result verify(String... args) throws Exception {
        String[] all = new String[args.length + 2];
        all[0] = "attest";
        all[1] = "verify";
        System.arraycopy(args, 0, all, 2, args.length);
        return CompatProcess.run(work, LIMIT, all);
    }

    @Test
    void aGenuineSevSnpReportPassesEveryCheck() throws Exception {
        CompatProcess.Result r = verify(SAMPLES.resolve("snp/virtee-sev/report_milan.hex").toString(),
                "--certs", SAMPLES.resolve("snp/virtee-sev/vcek_milan.der").toString(), "--at", "2025-09-01T00:00:00Z");
        assertThat(r.exit()).as(r.stdout() + r.stderr()).isZero();
        assertThat(r.stdout()).contains("[ ok ] report signature").contains("[ ok ] pinned AMD root")
                .contains("VERDICT: PASSED").doesNotContain("FAIL");
    }

    @Test
    void aDebugGuestAndATamperedReportAreRefusedWithTheReason() throws Exception {
        CompatProcess.Result debug = verify(SAMPLES.resolve("snp/go-sev-guest/attestation.bin").toString(),
                "--certs", SAMPLES.resolve("snp/go-sev-guest/vcek.testcer").toString(), "--at", "2025-09-01T00:00:00Z");
        assertThat(debug.exit()).isEqualTo(1);
        assertThat(debug.stdout()).contains("[FAIL] debug").contains("VERDICT: REFUSED");

        byte[] report = Files.readAllBytes(SAMPLES.resolve("snp/go-sev-guest/attestation.bin"));
        report[0x90] ^= 0x01; // one bit of MEASUREMENT
        Path tampered = Files.write(work.resolve("tampered.bin"), report);
        CompatProcess.Result refused = verify(tampered.toString(), "--certs",
                SAMPLES.resolve("snp/go-sev-guest/vcek.testcer").toString(), "--at", "2025-09-01T00:00:00Z");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.stdout()).contains("[FAIL] report signature");
    }

    @Test
    void aTdxQuoteWithCollateralPassesAndWithoutItIsRefused() throws Exception {
        String quote = SAMPLES.resolve("tdx/dcap-qvl/tdx_quote").toString();
        CompatProcess.Result ok = verify(quote, "--collateral", SAMPLES.resolve("tdx/dcap-qvl/collateral-2025-06").toString(),
                "--at", "2025-07-01T00:00:00Z");
        assertThat(ok.exit()).as(ok.stdout() + ok.stderr()).isZero();
        assertThat(ok.stdout()).contains("Evidence: tdx").contains("UpToDate").contains("VERDICT: PASSED");

        CompatProcess.Result noCollateral = verify(quote, "--at", "2025-07-01T00:00:00Z");
        assertThat(noCollateral.exit()).isEqualTo(1);
        assertThat(noCollateral.stdout()).contains("FAIL").contains("VERDICT: REFUSED");
    }

    private static final String GPU = "nvidia/nvtrust/";
    private static final String GPU_NONCE = "931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb";

    @Test
    void aGenuineGpuReportPassesTheEvidenceChecksAndSaysWhatWasNotChecked() throws Exception {
        Path policy = Files.writeString(work.resolve("gpu.yaml"),
                "require_rims: false\naccept_unchecked_revocation: true\n");
        CompatProcess.Result r = verify(SAMPLES.resolve(GPU + "hopperAttestationReport.txt").toString(),
                "--certs", SAMPLES.resolve(GPU + "hopperCertChain.txt").toString(), "--nonce", GPU_NONCE,
                "--policy", policy.toString(), "--at", "2025-06-01T00:00:00Z");
        assertThat(r.exit()).as(r.stdout() + r.stderr()).isZero();
        assertThat(r.stdout()).contains("Evidence: nvidia-gpu").contains("[ ok ] GPU report signature")
                .contains("[ ok ] FWID").contains("NOT CHECKED").contains("VERDICT: PASSED");
    }

    @Test
    void gpuEvidenceIsRefusedWithoutCollateralOrWithAnotherNonce() throws Exception {
        String report = SAMPLES.resolve(GPU + "hopperAttestationReport.txt").toString();
        String chain = SAMPLES.resolve(GPU + "hopperCertChain.txt").toString();
        Path rims = Files.createDirectory(work.resolve("rims"));
        Files.copy(SAMPLES.resolve(GPU + "1010_0200_882_96005E0001_PROD.swidtag"), rims.resolve("vbios.swidtag"));
        CompatProcess.Result strict = verify(report, "--certs", chain, "--nonce", GPU_NONCE, "--gpu-collateral",
                rims.toString(), "--at", "2025-06-01T00:00:00Z");
        assertThat(strict.exit()).as(strict.stdout() + strict.stderr()).isEqualTo(1);
        assertThat(strict.stdout()).contains("[FAIL] device certificate revocation").contains("no OCSP collateral");

        CompatProcess.Result otherNonce = verify(report, "--certs", chain, "--nonce", "00".repeat(32),
                "--at", "2025-06-01T00:00:00Z");
        assertThat(otherNonce.exit()).isEqualTo(1);
        assertThat(otherNonce.stdout()).contains("[FAIL] nonce").contains("VERDICT: REFUSED (nonce)");

        assertThat(verify(report, "--nonce", GPU_NONCE).exit()).isEqualTo(2);
    }

    @Test
    void nvidiasSerialisedEvidenceForFourGpusIsVerifiedPerGpu() throws Exception {
        Path policy = Files.writeString(work.resolve("gpu.yaml"),
                "require_rims: false\naccept_unchecked_revocation: true\n");
        String json = SAMPLES.resolve("nvidia/attestation-sdk/serialized/multi_gpu_hopper.json").toString();
        CompatProcess.Result r = verify(json, "--nonce",
                "e97b23a1718095a0e9e35edca810768c70a6a5a389b705e753b197912bc11576", "--policy", policy.toString(),
                "--at", "2025-06-01T00:00:00Z");
        assertThat(r.exit()).as(r.stdout() + r.stderr()).isZero();
        assertThat(r.stdout()).contains("GPU 4 of 4:").contains("ALL 4 GPUs PASSED");
        CompatProcess.Result wrong = verify(json, "--nonce", GPU_NONCE, "--policy", policy.toString(),
                "--at", "2025-06-01T00:00:00Z");
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.stdout()).contains("[FAIL] nonce").contains("REFUSED: not every GPU passed");
    }

    @Test
    void usageErrorsExitWithTwo() throws Exception {
        Path policy = Files.writeString(work.resolve("policy.yaml"), "allow_debugg: true\n");
        CompatProcess.Result r = verify(SAMPLES.resolve("tdx/dcap-qvl/tdx_quote").toString(), "--policy", policy.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("allow_debugg");
        assertThat(verify(work.resolve("missing.bin").toString()).exit()).isEqualTo(2);
    }

    /** A node's evidence as its /v1/attestation serves it: a simulated CPU report binding {@code gpus}. */
    private static byte[] nodeEvidence(byte[] nonce, java.util.List<dev.veil.protocol.attestation.GpuReport> gpus,
                                       dev.veil.protocol.e2ee.SigningKey key) {
        var node = dev.veil.protocol.e2ee.NodeKeyPair.generate(1);
        return dev.veil.protocol.attestation.SimulatedEvidence.attest(node.keyConfig(), key, nonce,
                dev.veil.protocol.attestation.SimulatedEvidence.measure("node"),
                dev.veil.protocol.attestation.GpuBinding.digest(gpus)).withGpus(gpus).toJson();
    }

    @Test
    void aNodesWholeEvidenceIsVerifiedAsOneIdentity() throws Exception {
        byte[] nonce = new byte[32];
        new java.security.SecureRandom().nextBytes(nonce);
        String nonceHex = java.util.HexFormat.of().formatHex(nonce);
        var key = dev.veil.protocol.e2ee.SigningKey.generate();
        var gpu = dev.veil.protocol.attestation.SimulatedGpuEvidence.attest(key,
                dev.veil.protocol.attestation.GpuBinding.gpuNonce(nonce), "hopper", "gpu");
        Path file = Files.write(work.resolve("node.json"), nodeEvidence(nonce, java.util.List.of(gpu, gpu), key));

        CompatProcess.Result ok = verify(file.toString(), "--nonce", nonceHex, "--allow-simulated");
        assertThat(ok.exit()).as(ok.stdout() + ok.stderr()).isZero();
        assertThat(ok.stdout()).contains("simulated CPU evidence (SIMULATED), 2 GPU report(s)")
                .contains("GPU 2 of 2: simulated-gpu (SIMULATED").contains("VERDICT: PASSED");

        CompatProcess.Result simulated = verify(file.toString(), "--nonce", nonceHex);
        assertThat(simulated.exit()).isEqualTo(1);
        assertThat(simulated.stdout()).contains("attestation_simulated_not_allowed").contains("VERDICT: REFUSED");

        CompatProcess.Result replay = verify(file.toString(), "--nonce", "00".repeat(32), "--allow-simulated");
        assertThat(replay.exit()).isEqualTo(1);
        assertThat(replay.stdout()).contains("attestation_nonce_mismatch");

        Path policy = Files.writeString(work.resolve("three.yaml"), "min_gpus: 3\n");
        CompatProcess.Result tooFew = verify(file.toString(), "--nonce", nonceHex, "--allow-simulated", "--policy",
                policy.toString());
        assertThat(tooFew.exit()).isEqualTo(1);
        assertThat(tooFew.stdout()).contains("requires 3 verified GPUs");

        CompatProcess.Result noNonce = verify(file.toString(), "--allow-simulated");
        assertThat(noNonce.exit()).isEqualTo(2);
        assertThat(noNonce.stderr()).contains("--nonce");
    }

    @Test
    void aGenuineGpuReportAttachedToAnotherNodesEvidenceIsRefusedAtItsNonce() throws Exception {
        // The public Hopper report answers its own nonce, never the one derived from this verification's: a host
        // cannot lend a genuine GPU's report to a node.
        byte[] nonce = new byte[32];
        new java.security.SecureRandom().nextBytes(nonce);
        var gpu = new dev.veil.protocol.attestation.GpuReport("nvidia-gpu", "hopper",
                dev.veil.protocol.attestation.nvidia.GpuEvidence.decodeReport(
                        Files.readAllBytes(SAMPLES.resolve(GPU + "hopperAttestationReport.txt"))),
                Files.readAllBytes(SAMPLES.resolve(GPU + "hopperCertChain.txt")));
        Path file = Files.write(work.resolve("lent.json"),
                nodeEvidence(nonce, java.util.List.of(gpu), dev.veil.protocol.e2ee.SigningKey.generate()));
        Path policy = Files.writeString(work.resolve("gpu.yaml"),
                "require_rims: false\naccept_unchecked_revocation: true\n");
        CompatProcess.Result r = verify(file.toString(), "--nonce", java.util.HexFormat.of().formatHex(nonce),
                "--allow-simulated", "--policy", policy.toString(), "--at", "2025-06-01T00:00:00Z");
        assertThat(r.exit()).as(r.stdout() + r.stderr()).isEqualTo(1);
        assertThat(r.stdout()).contains("GPU 1 of 1: nvidia-gpu").contains("[ ok ] GPU report signature")
                .contains("[FAIL] nonce").contains("attestation_gpu_not_verified").contains("VERDICT: REFUSED");
    }
}
