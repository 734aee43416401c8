package dev.veil.store;

/**
 * What an audit log entry records: an admin action or an event of the gateway's own administration. The wire name is
 * what the store holds and the admin API shows; it never changes once shipped (it is covered by the entry's hash).
 */
public enum AuditAction {
    /** An API key was issued (subject: its id; details: name, policy). */
    KEY_CREATED("key.created"),
    /** An API key was revoked (subject: its id). */
    KEY_REVOKED("key.revoked"),
    /** An API key was given a new policy (subject: its id; details: the new policy). */
    KEY_POLICY_CHANGED("key.policy_changed"),
    /** A node's attestation verified and it was admitted, or admitted with a new identity (subject: its name). */
    NODE_ADMITTED("node.admitted"),
    /** A joined node was banned by the operator (subject: its registration id; its join token is revoked with it). */
    NODE_BANNED("node.banned"),
    /** An admitted node was dropped because its attestation failed or it stopped answering (subject: its name). */
    NODE_DROPPED("node.dropped"),
    /** A join token for a node was issued (subject: the token's id, never the token; details: models, label). */
    JOIN_TOKEN_ISSUED("join_token.issued"),
    /** A join token was revoked by the operator (subject: the token's id). */
    JOIN_TOKEN_REVOKED("join_token.revoked"),
    /** A gateway instance loaded its configuration and started (subject: the instance id). */
    CONFIG_LOADED("config.loaded"),
    /** Retention purged the oldest entries (details: how many, through which seq, the anchor hash kept). */
    AUDIT_PURGED("audit.purged");

    private final String wireName;

    AuditAction(String wireName) {
        this.wireName = wireName;
    }

    /** The name stored and shown, e.g. {@code key.created}. */
    public String wireName() {
        return wireName;
    }
}
