package dev.veil.protocol.attestation.dstack;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.protocol.attestation.nvidia.GpuEvidence;
import dev.veil.protocol.attestation.nvidia.TestGpuEvidence;
import dev.veil.protocol.attestation.tdx.TdxCollateral;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

/** The public dstack-shape samples under {@code src/test/resources/dstack/} (sources in its README) and helpers. */
final class DstackSamples {

    /** dstack's verifier fixture (real quote and event log), in the provider shape (see the README). */
    static final String DSTACK = "dstack/quote-report-as-provider.json";
    /** A NEAR AI / RedPill quote binding an ECDSA address and nonce, with a real Hopper GPU payload. */
    static final String PRIVATE_AI = "private-ai-verifier/report.json";
    /** The nonce the dstack fixture's report data ends with: 32 zero bytes. */
    static final byte[] DSTACK_NONCE = new byte[32];
    /** The nonce the private-ai-verifier quote binds. */
    static final byte[] PRIVATE_AI_NONCE = HexFormat.of().parseHex(
            "4345591a10cc2fb8ccdddf5565ead7cca8031b145ba748246faaf13b799e5509");
    /** The nonce its GPU payload answers (another request's). */
    static final String PRIVATE_AI_GPU_NONCE = "06ead3cd123da07e798f666b30bbfe049b3feb3a778dffd21bc4fde3e55f0e08";
    /** Inside the dcap-qvl 2026-02 collateral window (FMSPC 90c06f000000, the platform of both quotes). */
    static final Instant AT = Instant.parse("2026-03-01T00:00:00Z");

    private DstackSamples() {
    }

    static Path path(String resource) {
        try {
            return Path.of(DstackSamples.class.getResource("/" + resource).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource " + resource, e);
        }
    }

    static byte[] bytes(String resource) {
        try {
            return Files.readAllBytes(path("dstack/" + resource));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static TdxCollateral collateral() {
        try {
            return TdxCollateral.load(path("tdx/dcap-qvl/collateral-2026-02"));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The dstack fixture with {@code gpus} GPUs from the test PKI answering {@code gpuNonce} as its nvidia_payload. */
    static byte[] dstackWithGpus(int gpus, byte[] gpuNonce) {
        try {
            ObjectMapper json = new ObjectMapper();
            ObjectNode report = (ObjectNode) json.readTree(bytes(DSTACK));
            List<GpuEvidence> evidence = new java.util.ArrayList<>();
            for (int i = 0; i < gpus; i++) {
                evidence.add(TestGpuEvidence.forNonce(gpuNonce));
            }
            report.put("nvidia_payload", TestGpuEvidence.payload(HexFormat.of().formatHex(gpuNonce), evidence));
            return json.writeValueAsBytes(report);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
