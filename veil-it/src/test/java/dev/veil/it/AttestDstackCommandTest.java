package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil attest verify --format dstack} on the public dstack-shape samples in veil-protocol's test resources:
 * every section gets its per-check verdict (TDX quote, report data binding of the signing key and of the nonce, event
 * log replay, GPU count and every GPU), and a tampered report is refused naming the check.
 */
@Timeout(120)
class AttestDstackCommandTest {

    private static final Duration LIMIT = Duration.ofSeconds(30);
    private static final Path SAMPLES = Path.of(System.getProperty("veil.repo"), "veil-protocol/src/test/resources");
    private static final String DSTACK = "dstack/dstack/quote-report-as-provider.json";
    private static final String PROVIDER = "dstack/private-ai-verifier/report.json";
    private static final String ZERO_NONCE = "00".repeat(32);
    private static final String PROVIDER_NONCE = "4345591a10cc2fb8ccdddf5565ead7cca8031b145ba748246faaf13b799e5509";
    private static final String AT = "2026-03-01T00:00:00Z";

    @TempDir
    Path work;

    private CompatProcess.Result verify(String... args) throws Exception {
        String[] all = new String[args.length + 2];
        all[0] = "attest";
        all[1] = "verify";
        System.arraycopy(args, 0, all, 2, args.length);
        return CompatProcess.run(work, LIMIT, all);
    }

    private String collateral() {
        return SAMPLES.resolve("tdx/dcap-qvl/collateral-2026-02").toString();
    }

    @Test
    void dstacksFixtureVerifiesItsQuoteBindingAndReplayAndIsRefusedForItsUnattestedGpu() throws Exception {
        CompatProcess.Result r = verify(SAMPLES.resolve(DSTACK).toString(), "--nonce", ZERO_NONCE,
                "--collateral", collateral(), "--at", AT);
        assertThat(r.exit()).as(r.stdout() + r.stderr()).isEqualTo(1);
        assertThat(r.stdout()).contains("Attestation 1 of 1, ecdsa signing address 1234000000000000000000000000000000000000")
                .contains("Evidence: dstack").contains("[ ok ] TDX quote: quote signature")
                .contains("[ ok ] TDX quote: TCB status: UpToDate")
                .contains("[ ok ] report data binds the signing key").contains("[ ok ] report data binds the nonce")
                .contains("[ ok ] event log replay (RTMR0-3): 28 events")
                .contains("[FAIL] GPU count: 0 GPU evidence(s) in nvidia_payload, vm_config declares 1")
                .contains("VERDICT: REFUSED (GPU count)").contains("REFUSED: not every attestation passed");

        // without GPUs required, the VM's declared GPU is still missing: refused, never waved through
        Path noGpus = Files.writeString(work.resolve("no-gpus.yaml"), "min_gpus: 0\n");
        CompatProcess.Result zero = verify(SAMPLES.resolve(DSTACK).toString(), "--format", "dstack", "--nonce",
                ZERO_NONCE, "--collateral", collateral(), "--policy", noGpus.toString(), "--at", AT);
        assertThat(zero.exit()).isEqualTo(1);
        assertThat(zero.stdout()).contains("[FAIL] GPU count").contains("every GPU of the VM must be attested");
    }

    @Test
    void aProviderReportBindsItsAddressAndNonceAndItsGpuIsCheckedAgainstTheSameNonce() throws Exception {
        Path policy = Files.writeString(work.resolve("gpu.yaml"),
                "require_rims: false\naccept_unchecked_revocation: true\n");
        CompatProcess.Result r = verify(SAMPLES.resolve(PROVIDER).toString(), "--nonce", PROVIDER_NONCE,
                "--collateral", collateral(), "--policy", policy.toString(), "--at", AT);
        assertThat(r.exit()).as(r.stdout() + r.stderr()).isEqualTo(1);
        assertThat(r.stdout()).contains("[ ok ] report data binds the signing key: bytes 0-31 are the ecdsa signing"
                        + " address 34b7bcb4b2b61fcf9fa14715ba8708ac0dbc8be5")
                .contains("[ ok ] report data binds the nonce")
                .contains("[FAIL] event log replay (RTMR0-3): the report has no event log")
                .contains("[ ok ] GPU 1 of 1: device certificate chain").contains("NVIDIA Device Identity CA")
                .contains("[ ok ] GPU 1 of 1: GPU report signature")
                .contains("[FAIL] GPU 1 of 1: nonce: the report answers nonce 06ead3cd");
    }

    @Test
    void aTamperedReportIsRefusedNamingTheCheck() throws Exception {
        String json = Files.readString(SAMPLES.resolve(DSTACK));
        int at = json.indexOf("\"intel_quote\": \"") + "\"intel_quote\": \"".length();
        String quote = json.substring(at, json.indexOf('"', at));
        byte[] bytes = HexFormat.of().parseHex(quote);
        bytes[48 + 0x208] ^= 0x01; // a bit of the report data
        Path tampered = Files.writeString(work.resolve("tampered.json"),
                json.replace(quote, HexFormat.of().formatHex(bytes)));
        CompatProcess.Result r = verify(tampered.toString(), "--nonce", ZERO_NONCE, "--collateral", collateral(),
                "--at", AT);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stdout()).contains("[FAIL] TDX quote: quote signature")
                .contains("[FAIL] report data binds the signing key")
                .contains("VERDICT: REFUSED (TDX quote: quote signature)");

        CompatProcess.Result wrongNonce = verify(SAMPLES.resolve(DSTACK).toString(), "--nonce", "11".repeat(32),
                "--collateral", collateral(), "--at", AT);
        assertThat(wrongNonce.stdout()).contains("[FAIL] report data binds the nonce: bytes 32-63 are 0000");
    }

    @Test
    void usageProblemsExitWithTwo() throws Exception {
        CompatProcess.Result noNonce = verify(SAMPLES.resolve(DSTACK).toString(), "--collateral", collateral());
        assertThat(noNonce.exit()).isEqualTo(2);
        assertThat(noNonce.stderr()).contains("--nonce");
        Path broken = Files.writeString(work.resolve("broken.json"), "{\"intel_quote\":\"zz\",\"signing_address\":\"0x00\"}");
        CompatProcess.Result bad = verify(broken.toString(), "--nonce", ZERO_NONCE);
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.stderr()).contains("not a dstack-shape attestation report: report.intel_quote: not hex")
                .doesNotContain("Exception");
    }
}
