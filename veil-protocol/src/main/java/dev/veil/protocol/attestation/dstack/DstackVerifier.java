package dev.veil.protocol.attestation.dstack;

import dev.veil.protocol.attestation.Check;
import dev.veil.protocol.attestation.Verdict;
import dev.veil.protocol.attestation.nvidia.GpuCollateral;
import dev.veil.protocol.attestation.nvidia.GpuVerifier;
import dev.veil.protocol.attestation.tdx.RtmrReplay;
import dev.veil.protocol.attestation.tdx.TdReport;
import dev.veil.protocol.attestation.tdx.TdxCollateral;
import dev.veil.protocol.attestation.tdx.TdxEvent;
import dev.veil.protocol.attestation.tdx.TdxFormatException;
import dev.veil.protocol.attestation.tdx.TdxQuote;
import dev.veil.protocol.attestation.tdx.TdxVerifier;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.crypto.digests.KeccakDigest;

/**
 * Verifies one attestation of a hosted provider's dstack-shape report for the verifier's own nonce, the way the
 * providers' public verifiers do, and lists every check in one {@link Verdict} (format {@value #FORMAT}):
 *
 * <ol>
 *   <li>the TDX quote, with {@link TdxVerifier} against the pinned Intel root and the operator's collateral (checks
 *       prefixed {@value DstackChecks#TDX_PREFIX});</li>
 *   <li>the quote's report data: bytes 0–31 are the signing address right-padded with zeros (or, when the attestation
 *       carries a TLS certificate fingerprint, SHA-256(address ‖ fingerprint)); bytes 32–63 are the nonce; a
 *       presented signing public key must be the one the address names (Keccak-256 for secp256k1, identity for
 *       Ed25519);</li>
 *   <li>the event log replayed into RTMR0–3 ({@link RtmrReplay}) equals the quote's registers, and the replayed
 *       {@code compose-hash} is allowed;</li>
 *   <li>every GPU of {@code nvidia_payload}, with {@link GpuVerifier}, for the same nonce (the providers ask each GPU
 *       for the verifier's nonce), and at least the policy's number of GPUs, as many as the report's
 *       {@code vm_config} declares.</li>
 * </ol>
 *
 * Every section runs (so the verdict shows every problem), each stopping at its own first failure; the verdict passes
 * only when every check passed. Bad input never throws.
 */
public final class DstackVerifier {

    /** The format name of a dstack verdict. */
    public static final String FORMAT = "dstack";

    private final TdxVerifier tdx;
    private final TdxCollateral tdxCollateral;
    private final GpuVerifier gpu;
    private final GpuCollateral gpuCollateral;

    /**
     * @param tdxCollateral Intel's collateral, or null (then the TDX policy must make it optional, and the verdict says
     *                      TCB status was NOT checked)
     * @param gpuVerifier   the GPU verifier ({@code new GpuVerifier()} trusts NVIDIA's pinned roots only)
     * @param gpuCollateral NVIDIA RIMs and OCSP responses ({@link GpuCollateral#none()} when there are none)
     */
    public DstackVerifier(TdxCollateral tdxCollateral, GpuVerifier gpuVerifier, GpuCollateral gpuCollateral) {
        this.tdx = new TdxVerifier();
        this.tdxCollateral = tdxCollateral;
        this.gpu = gpuVerifier;
        this.gpuCollateral = gpuCollateral == null ? GpuCollateral.none() : gpuCollateral;
    }

    /** Verifies {@code attestation} as answering {@code nonce} (32 bytes) as of {@code at}. */
    public Verdict verify(DstackAttestation attestation, byte[] nonce, DstackPolicy policy, Instant at) {
        if (attestation == null || policy == null || at == null) {
            throw new IllegalArgumentException("an attestation, a policy and a verification time are required");
        }
        List<Check> checks = new ArrayList<>();
        Verdict quote = tdx.verify(attestation.intelQuote(), tdxCollateral, policy.tdx(), at);
        for (Check c : quote.checks()) {
            checks.add(new Check(DstackChecks.TDX_PREFIX + c.name(), c.passed(), c.detail()));
        }
        TdReport report = null;
        try {
            report = TdxQuote.parse(attestation.intelQuote()).report();
        } catch (TdxFormatException e) {
            // the TDX quote's format check above already failed and says why
        }
        if (report != null) {
            binding(attestation, report, nonce, checks);
            replay(attestation, report, policy, checks);
        }
        gpus(attestation, nonce, policy, at, checks);
        return new Verdict(FORMAT, checks, report == null ? new byte[0] : report.reportData(),
                report == null ? "" : report.mrTdHex());
    }

    private static void binding(DstackAttestation a, TdReport report, byte[] nonce, List<Check> checks) {
        byte[] data = report.reportData();
        byte[] first = Arrays.copyOfRange(data, 0, 32);
        byte[] second = Arrays.copyOfRange(data, 32, 64);
        HexFormat hex = HexFormat.of();
        byte[] expected = expectedKeyHalf(a.signingAddress(), a.tlsCertFingerprint());
        String how = a.tlsCertFingerprint() == null ? a.signingAlgo() + " signing address " + hex.formatHex(
                a.signingAddress()) + (a.signingAddress().length < 32 ? ", zero-padded" : "")
                : "SHA-256(" + a.signingAlgo() + " signing address " + hex.formatHex(a.signingAddress())
                + " || TLS certificate fingerprint " + hex.formatHex(a.tlsCertFingerprint()) + ")";
        if (MessageDigest.isEqual(first, expected)) {
            checks.add(Check.pass(DstackChecks.SIGNING_KEY_BINDING, "bytes 0-31 are the " + how));
        } else {
            checks.add(Check.fail(DstackChecks.SIGNING_KEY_BINDING, "bytes 0-31 are " + hex.formatHex(first)
                    + ", not the " + how + " (" + hex.formatHex(expected) + ")"));
        }
        if (nonce == null || nonce.length != 32) {
            checks.add(Check.fail(DstackChecks.NONCE_BINDING, "no 32-byte nonce given: a report without the"
                    + " verifier's nonce may be a replay"));
        } else if (MessageDigest.isEqual(second, nonce)) {
            checks.add(Check.pass(DstackChecks.NONCE_BINDING, "bytes 32-63 are the nonce " + hex.formatHex(nonce)));
        } else {
            checks.add(Check.fail(DstackChecks.NONCE_BINDING, "bytes 32-63 are " + hex.formatHex(second)
                    + ", not the expected nonce " + hex.formatHex(nonce)
                    + (a.declaredNonce() == null ? "" : " (the report says it answered " + a.declaredNonce() + ")")));
        }
        if (a.signingPublicKey() != null) {
            String problem = publicKeyProblem(a);
            checks.add(problem == null
                    ? Check.pass(DstackChecks.SIGNING_PUBLIC_KEY, a.signingAlgo().equals("ecdsa")
                            ? "Keccak-256 of the secp256k1 key names the address" : "the Ed25519 key is the address")
                    : Check.fail(DstackChecks.SIGNING_PUBLIC_KEY, problem));
        }
    }

    /** Bytes 0–31 of the report data a provider binds: the address zero-padded, or SHA-256(address ‖ fingerprint). */
    static byte[] expectedKeyHalf(byte[] address, byte[] tlsFingerprint) {
        if (tlsFingerprint != null) {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                sha.update(address);
                return sha.digest(tlsFingerprint);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return Arrays.copyOf(address, 32);
    }

    private static String publicKeyProblem(DstackAttestation a) {
        byte[] key = a.signingPublicKey();
        if (a.signingAlgo().equals("ed25519")) {
            return MessageDigest.isEqual(key, a.signingAddress()) ? null
                    : "the Ed25519 public key " + HexFormat.of().formatHex(key) + " is not the signing address";
        }
        if (key.length == 65 && key[0] == 4) {
            key = Arrays.copyOfRange(key, 1, 65);
        }
        if (key.length != 64) {
            return "a secp256k1 public key has 64 bytes (X || Y, optionally after 0x04), not " + key.length;
        }
        KeccakDigest keccak = new KeccakDigest(256);
        keccak.update(key, 0, key.length);
        byte[] hash = new byte[32];
        keccak.doFinal(hash, 0);
        byte[] address = Arrays.copyOfRange(hash, 12, 32);
        return MessageDigest.isEqual(address, a.signingAddress()) ? null
                : "the public key names address " + HexFormat.of().formatHex(address) + ", not the signing address";
    }

    private static void replay(DstackAttestation a, TdReport report, DstackPolicy policy, List<Check> checks) {
        if (a.eventLog() == null || a.eventLog().isEmpty()) {
            checks.add(Check.fail(DstackChecks.EVENT_LOG_REPLAY, "the report has no event log: RTMR0-3 cannot be"
                    + " replayed, so nothing the log says (compose hash, app id) is attested"));
            return;
        }
        RtmrReplay.Result r = RtmrReplay.replayAndCompare(a.eventLog(), report);
        if (!r.matches()) {
            checks.add(Check.fail(DstackChecks.EVENT_LOG_REPLAY, String.join("; ", r.problems())));
            return;
        }
        int[] n = r.counts();
        checks.add(Check.pass(DstackChecks.EVENT_LOG_REPLAY, a.eventLog().size() + " events (" + n[0] + ", " + n[1]
                + ", " + n[2] + ", " + n[3] + " per RTMR0-3) replay to the quote's RTMR0-3"));
        String compose = null;
        int found = 0;
        for (TdxEvent e : a.eventLog()) {
            if (e.imr() == 3 && e.runtimeEvent() && e.name().equals("compose-hash")) {
                compose = HexFormat.of().formatHex(e.payload());
                found++;
            }
        }
        if (policy.allowedComposeHashes().isEmpty()) {
            checks.add(Check.pass(DstackChecks.COMPOSE_HASH, (compose == null ? "none in RTMR3"
                    : compose + " (replayed from RTMR3)") + "; the policy accepts any"));
        } else if (found != 1) {
            checks.add(Check.fail(DstackChecks.COMPOSE_HASH, "RTMR3 has " + found
                    + " compose-hash events; exactly one is required to compare with the allow-list"));
        } else if (policy.allowedComposeHashes().contains(compose)) {
            checks.add(Check.pass(DstackChecks.COMPOSE_HASH, compose + " (replayed from RTMR3) is allowed"));
        } else {
            checks.add(Check.fail(DstackChecks.COMPOSE_HASH, compose + " (replayed from RTMR3) is not among the "
                    + policy.allowedComposeHashes().size() + " allowed"));
        }
    }

    private void gpus(DstackAttestation a, byte[] nonce, DstackPolicy policy, Instant at, List<Check> checks) {
        int count = a.gpus() == null ? 0 : a.gpus().size();
        String declared = a.declaredGpuCount() < 0 ? "" : ", vm_config declares " + a.declaredGpuCount();
        if (count < policy.minGpus()) {
            checks.add(Check.fail(DstackChecks.GPU_COUNT, count + " GPU evidence(s) in nvidia_payload" + declared
                    + "; the policy requires at least " + policy.minGpus()));
            return;
        }
        if (a.declaredGpuCount() >= 0 && a.declaredGpuCount() != count) {
            checks.add(Check.fail(DstackChecks.GPU_COUNT, count + " GPU evidence(s) in nvidia_payload" + declared
                    + ": every GPU of the VM must be attested"));
            return;
        }
        checks.add(Check.pass(DstackChecks.GPU_COUNT, count + " GPU evidence(s)" + declared
                + (a.gpuPayloadNonce() == null ? "" : "; nvidia_payload says nonce " + a.gpuPayloadNonce()
                + " (not trusted: each report must answer the verifier's nonce)")));
        for (int i = 0; i < count; i++) {
            Verdict v = gpu.verify(a.gpus().get(i).evidence(), nonce, gpuCollateral, policy.gpu(), at);
            for (Check c : v.checks()) {
                checks.add(new Check(DstackChecks.gpuPrefix(i, count) + c.name(), c.passed(), c.detail()));
            }
        }
    }
}
