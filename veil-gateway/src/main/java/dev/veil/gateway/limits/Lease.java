package dev.veil.gateway.limits;

/**
 * An in-flight slot held under a key's {@code max_concurrent}. Releasing is idempotent: the request's completion
 * releases it exactly once however many paths reach it.
 */
public interface Lease {

    /** No slot held. */
    Lease NONE = () -> { };

    /** Gives the slot back. Safe to call more than once and from any thread. */
    void release();
}
