package dev.veil.protocol.attestation.tdx;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Replays a TD's event log into RTMR0–3 and compares the result with the registers a verified quote carries. Each
 * register starts as 48 zero bytes and every event extends it: {@code RTMR[i] = SHA-384(RTMR[i] || digest)}, in log
 * order. A log that replays to the quoted registers is the log the TD measured; only then may a verifier read an
 * event's payload (for example dstack's {@code compose-hash} in RTMR3) as attested.
 *
 * <p>Runtime events ({@link TdxEvent#runtimeEvent()}) are checked first: their logged digest must equal the digest
 * recomputed from their name and payload, and the recomputed digest is the one extended. Every other event must log a
 * 48-byte digest.
 */
public final class RtmrReplay {

    /** At most this many events are replayed (a real TD logs a few dozen to a few hundred). */
    public static final int MAX_EVENTS = 4096;

    private RtmrReplay() {
    }

    /**
     * The outcome of a replay.
     *
     * @param replayed the four replayed registers
     * @param problems what did not hold, in order (empty when the log replays to the quote's registers)
     * @param counts   how many events extended each register
     */
    public record Result(List<byte[]> replayed, List<String> problems, int[] counts) {

        public boolean matches() {
            return problems.isEmpty();
        }
    }

    /** Replays {@code events} and compares each register with {@code report}'s RTMR0–3. */
    public static Result replayAndCompare(List<TdxEvent> events, TdReport report) {
        List<String> problems = new ArrayList<>();
        byte[][] rtmr = new byte[4][TdxEvent.DIGEST_SIZE];
        int[] counts = new int[4];
        if (events.size() > MAX_EVENTS) {
            problems.add("the log has " + events.size() + " events, more than " + MAX_EVENTS);
            return new Result(List.of(rtmr), problems, counts);
        }
        for (int i = 0; i < events.size(); i++) {
            TdxEvent e = events.get(i);
            byte[] digest = e.digest();
            if (e.runtimeEvent()) {
                byte[] computed = e.runtimeDigest();
                if (digest.length != 0 && !MessageDigest.isEqual(digest, computed)) {
                    problems.add("event " + i + " ('" + e.name() + "', RTMR" + e.imr() + "): the logged digest "
                            + HexFormat.of().formatHex(digest) + " is not the digest of its name and payload "
                            + HexFormat.of().formatHex(computed));
                    continue;
                }
                digest = computed;
            } else if (digest.length != TdxEvent.DIGEST_SIZE) {
                problems.add("event " + i + " (RTMR" + e.imr() + ", type 0x" + Long.toHexString(e.eventType())
                        + "): digest of " + digest.length + " bytes, not 48 (SHA-384)");
                continue;
            }
            rtmr[e.imr()] = TdxEvent.sha384(rtmr[e.imr()], digest);
            counts[e.imr()]++;
        }
        if (problems.isEmpty()) {
            for (int i = 0; i < 4; i++) {
                if (!MessageDigest.isEqual(rtmr[i], report.rtmr(i))) {
                    problems.add("RTMR" + i + ": the " + counts[i] + " logged events replay to "
                            + HexFormat.of().formatHex(rtmr[i]) + ", the quote has "
                            + HexFormat.of().formatHex(report.rtmr(i)));
                }
            }
        }
        return new Result(List.of(rtmr), problems, counts);
    }
}
