package dev.veil.protocol.policy;

/**
 * One requirement a route (or, on the e2ee path, a node) must meet to serve a request, named after the field that demanded it (for example
 * {@code key.min_mode} or {@code provider.zdr}) so a refusal can say which constraint excluded which route.
 */
public interface Constraint {

    /** The field that demanded this, e.g. {@code privacy.max_retention_days}. */
    String name();

    /** Why {@code target} fails this constraint, or {@code null} when it complies. Never quotes request content. */
    String violation(PolicyTarget target);
}
