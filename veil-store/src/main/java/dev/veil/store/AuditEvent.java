package dev.veil.store;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * An audit log entry before it is appended (the store gives it its sequence number, time and hashes).
 *
 * <p>Content-free by construction: the actor and action are fixed labels, the subject an identifier (a key id, a node
 * name, an instance id), and the details a few short string values named by fixed keys. Never put a secret, a request
 * or anything a caller sent in here.
 *
 * @param actor   who did it
 * @param action  what was done
 * @param subject what it was done to; empty when nothing in particular
 * @param details a few named values, e.g. {@code policy}; keys are lower-case snake_case
 */
public record AuditEvent(AuditActor actor, AuditAction action, String subject, SortedMap<String, String> details) {

    /** Most details an entry may carry. */
    public static final int MAX_DETAILS = 16;
    /** Longest subject and detail value, in characters. */
    public static final int MAX_VALUE_LENGTH = 2_048;
    private static final Pattern DETAIL_KEY = Pattern.compile("[a-z][a-z0-9_]{0,63}");

    /**
     * Checks the bounds and copies the details.
     *
     * @throws IllegalArgumentException when a bound is exceeded or a detail key is not snake_case
     */
    public AuditEvent {
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(action, "action");
        subject = subject == null ? "" : subject;
        if (subject.length() > MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException("audit subject longer than " + MAX_VALUE_LENGTH + " characters");
        }
        details = details == null ? new TreeMap<>() : new TreeMap<>(details);
        if (details.size() > MAX_DETAILS) {
            throw new IllegalArgumentException("more than " + MAX_DETAILS + " audit details");
        }
        for (Map.Entry<String, String> detail : details.entrySet()) {
            if (!DETAIL_KEY.matcher(detail.getKey()).matches()) {
                throw new IllegalArgumentException("audit detail keys are lower-case snake_case");
            }
            if (detail.getValue() == null || detail.getValue().length() > MAX_VALUE_LENGTH) {
                throw new IllegalArgumentException("audit detail " + detail.getKey() + " is missing or longer than "
                        + MAX_VALUE_LENGTH + " characters");
            }
        }
        details = Collections.unmodifiableSortedMap(details);
    }

    /** An event with details given as alternating keys and values. */
    public static AuditEvent of(AuditActor actor, AuditAction action, String subject, String... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("details come in key, value pairs");
        }
        SortedMap<String, String> details = new TreeMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            details.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return new AuditEvent(actor, action, subject, details);
    }
}
