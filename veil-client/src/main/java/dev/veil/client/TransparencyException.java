package dev.veil.client;

import dev.veil.protocol.attestation.AttestationException;

/**
 * A node refused because the gateway's transparency log does not vouch for it (docs/transparency.md). Each case is its
 * own subclass with its own {@link #code()}, so a caller can tell an unpublished node from a forged tree head from a
 * forked log. Nothing was sent to the node. Messages name the check that failed; they never carry content.
 */
public abstract sealed class TransparencyException extends AttestationException {

    TransparencyException(String why) {
        super("transparency log: " + why);
    }

    /**
     * The node's identity is not in the log: the gateway sent no log entry (or no log at all to a client that pins a
     * log key), the entry is not the identity whose evidence verified, or its inclusion proof does not lead to the
     * tree head's root. The node may be one shown to this client only.
     */
    public static final class NotInLog extends TransparencyException {
        /** @param why which check failed */
        public NotInLog(String why) {
            super(why);
        }

        @Override
        public String code() {
            return "transparency_not_in_log";
        }
    }

    /**
     * The tree head does not verify: its signature is not the log key's, it names another key than the pinned one, or
     * it is malformed. Nothing it claims can be trusted.
     */
    public static final class BadTreeHead extends TransparencyException {
        /** @param why which check failed */
        public BadTreeHead(String why) {
            super(why);
        }

        @Override
        public String code() {
            return "transparency_bad_tree_head";
        }
    }

    /**
     * A split view: the log signed a tree head that is not consistent with one this client accepted before (same size
     * and another root, or no valid consistency proof between the two). The operator is showing different histories
     * to different clients, or rewrote its log. Keep both heads as evidence (the kept one is in the client's tree head
     * file, when it has one).
     */
    public static final class SplitView extends TransparencyException {
        /** @param why which heads disagree and how */
        public SplitView(String why) {
            super(why);
        }

        @Override
        public String code() {
            return "transparency_split_view";
        }
    }
}
