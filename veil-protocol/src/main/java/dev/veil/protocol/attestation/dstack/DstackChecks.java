package dev.veil.protocol.attestation.dstack;

/**
 * The names of the checks a dstack {@link dev.veil.protocol.attestation.Verdict} lists. The TDX quote's own checks are
 * listed with the prefix {@link #TDX_PREFIX}, each GPU's with {@code "GPU i of n: "}.
 */
public final class DstackChecks {

    /** Prefix of the TDX quote's checks ({@link dev.veil.protocol.attestation.tdx.TdxChecks}). */
    public static final String TDX_PREFIX = "TDX quote: ";
    /** The first 32 bytes of the quote's report data bind the signing address (and TLS fingerprint, when given). */
    public static final String SIGNING_KEY_BINDING = "report data binds the signing key";
    /** The last 32 bytes of the quote's report data are the verifier's nonce. */
    public static final String NONCE_BINDING = "report data binds the nonce";
    /** A presented signing public key is the one the address names. */
    public static final String SIGNING_PUBLIC_KEY = "signing public key matches the address";
    /** The event log replays to the quote's RTMR0–3. */
    public static final String EVENT_LOG_REPLAY = "event log replay (RTMR0-3)";
    /** The replayed RTMR3's compose-hash event is on the policy's allow-list. */
    public static final String COMPOSE_HASH = "compose hash";
    /** The GPU evidence: present, as many as declared, at least the policy's minimum. */
    public static final String GPU_COUNT = "GPU count";

    private DstackChecks() {
    }

    /** The prefix of GPU {@code index} (zero-based) of {@code count}. */
    public static String gpuPrefix(int index, int count) {
        return "GPU " + (index + 1) + " of " + count + ": ";
    }
}
