package dev.veil.gateway.metering;

import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.RequestLogMode;
import dev.veil.store.ApiKeyRecord;
import java.util.Objects;

/**
 * What the request log keeps for each key: the key's own {@code request_log} mode and retention when its policy sets
 * them, else the operator's {@code store.request_log} and {@code store.retention_days}. A key's retention never
 * exceeds the operator's: the purge removes every row after {@code store.retention_days} whatever the key says.
 */
public final class MetadataMinimisation {

    private final RequestLogMode defaultMode;
    private final int retentionDays;

    /**
     * @param defaultMode   the operator's default ({@code store.request_log})
     * @param retentionDays the operator's retention ({@code store.retention_days}), at least 1
     */
    public MetadataMinimisation(RequestLogMode defaultMode, int retentionDays) {
        this.defaultMode = Objects.requireNonNull(defaultMode, "defaultMode");
        if (retentionDays < 1) {
            throw new IllegalArgumentException("retentionDays must be at least 1");
        }
        this.retentionDays = retentionDays;
    }

    /** The operator's default mode. */
    public RequestLogMode defaultMode() {
        return defaultMode;
    }

    /** What the request log keeps of {@code key}'s requests (the default for {@code null}). */
    public RequestLogMode mode(ApiKeyRecord key) {
        RequestLogMode own = key == null ? null : key.policy().requestLog();
        return own != null ? own : defaultMode;
    }

    /** For how many days {@code key}'s request log rows (or daily totals) are kept (the default for {@code null}). */
    public int retentionDays(ApiKeyRecord key) {
        return key == null ? retentionDays : retentionDays(key.policy());
    }

    /** For how many days the request log of a key with {@code policy} is kept. */
    public int retentionDays(KeyPolicy policy) {
        Integer own = policy.requestLogRetentionDays();
        return own == null ? retentionDays : Math.min(own, retentionDays);
    }

    /** A new request id for a request of {@code key} that arrived at {@code epochMillis}: no finer time than its mode. */
    public String requestId(ApiKeyRecord key, long epochMillis) {
        return RequestIds.at(mode(key), epochMillis);
    }
}
