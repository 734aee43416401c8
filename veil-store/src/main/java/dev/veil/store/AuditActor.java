package dev.veil.store;

/**
 * Who did what an audit log entry records. Fixed labels, not identities: the admin API has one token, and the command
 * line runs as whoever can read the store's configuration, so Veil cannot name a person (and does not store one).
 */
public enum AuditActor {
    /** A holder of the admin token, through the admin API. */
    ADMIN_API("admin_api"),
    /** The {@code veil} command line on a host with access to the store ({@code veil keys}, {@code veil demo}). */
    CLI("cli"),
    /** A gateway instance on its own (node admission, start-up, retention). */
    GATEWAY("gateway"),
    /** Code calling the store directly without naming an actor (embedding applications, tests). */
    STORE("store");

    private final String wireName;

    AuditActor(String wireName) {
        this.wireName = wireName;
    }

    /** The label stored and shown, e.g. {@code admin_api}. */
    public String wireName() {
        return wireName;
    }
}
