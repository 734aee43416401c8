package dev.veil.protocol;

import java.util.Locale;
import java.util.Set;

/**
 * What an API key may do: the weakest privacy mode its requests may be served in, which models and routes it may use,
 * in which jurisdictions, how much it may spend per period, and its rate limits. Every request of the key is held to
 * this policy, whatever the request itself asks for; the request can only make it stricter.
 *
 * @param preset        the preset the policy came from ({@code public}, {@code internal}, {@code confidential},
 *                      {@code regulated}), or {@code null} for a custom policy
 * @param minMode       the weakest privacy mode allowed
 * @param allowedModels public model ids the key may use; empty = all
 * @param allowedRoutes route names (or upstream names) the key may be served by; empty = all
 * @param jurisdictions jurisdictions a route must declare to serve the key; empty = any (a route that declares
 *                      none is then allowed too)
 * @param budgetMicros  spend allowed per {@code budgetPeriod} in micro-dollars; {@code null} = no budget
 * @param budgetPeriod  the period the budget resets on
 * @param rpm           requests per minute; {@code null} = unlimited
 * @param tpm           tokens (prompt + completion) per minute; {@code null} = unlimited
 * @param requestLog    what Veil's request log keeps about the key's requests; {@code null} = the operator's default
 *                      ({@code store.request_log})
 * @param requestLogRetentionDays how many days the key's request log rows (or daily totals) are kept, at least 1;
 *                      {@code null} = the operator's {@code store.retention_days}, which also caps this value
 * @param maxConcurrent how many of the key's requests may be in flight at once, at least 1; {@code null} = unlimited
 */
public record KeyPolicy(String preset, PrivacyMode minMode, Set<String> allowedModels, Set<String> allowedRoutes,
                        Set<String> jurisdictions, Long budgetMicros, BudgetPeriod budgetPeriod, Integer rpm,
                        Integer tpm, RequestLogMode requestLog, Integer requestLogRetentionDays,
                        Integer maxConcurrent) {

    /** The period a budget covers (UTC). */
    public enum BudgetPeriod {
        DAY, MONTH;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static BudgetPeriod fromWireName(String value) {
            for (BudgetPeriod p : values()) {
                if (p.wireName().equals(value)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown budget period; expected day or month");
        }
    }

    /** No restriction beyond what every request gets: any mode, any model, no budget, no rate limit. */
    public static final KeyPolicy UNRESTRICTED =
            new KeyPolicy(null, PrivacyMode.ANONYMIZED, Set.of(), Set.of(), Set.of(), null, BudgetPeriod.MONTH, null, null);

    public KeyPolicy {
        minMode = minMode == null ? PrivacyMode.ANONYMIZED : minMode;
        allowedModels = allowedModels == null ? Set.of() : Set.copyOf(allowedModels);
        allowedRoutes = allowedRoutes == null ? Set.of() : Set.copyOf(allowedRoutes);
        jurisdictions = jurisdictions == null ? Set.of() : Set.copyOf(jurisdictions);
        budgetPeriod = budgetPeriod == null ? BudgetPeriod.MONTH : budgetPeriod;
        if (budgetMicros != null && budgetMicros < 0) {
            throw new IllegalArgumentException("budget must not be negative");
        }
        if (rpm != null && rpm < 1) {
            throw new IllegalArgumentException("rpm must be at least 1");
        }
        if (tpm != null && tpm < 1) {
            throw new IllegalArgumentException("tpm must be at least 1");
        }
        if (requestLogRetentionDays != null && requestLogRetentionDays < 1) {
            throw new IllegalArgumentException("request log retention must be at least 1 day");
        }
        if (maxConcurrent != null && maxConcurrent < 1) {
            throw new IllegalArgumentException("max_concurrent must be at least 1");
        }
    }

    /** A policy without a concurrency limit. */
    public KeyPolicy(String preset, PrivacyMode minMode, Set<String> allowedModels, Set<String> allowedRoutes,
                     Set<String> jurisdictions, Long budgetMicros, BudgetPeriod budgetPeriod, Integer rpm, Integer tpm,
                     RequestLogMode requestLog, Integer requestLogRetentionDays) {
        this(preset, minMode, allowedModels, allowedRoutes, jurisdictions, budgetMicros, budgetPeriod, rpm, tpm,
                requestLog, requestLogRetentionDays, null);
    }

    /** Whether the key has a rate or concurrency limit (the limits counted per request, not the budget). */
    public boolean hasRateLimits() {
        return rpm != null || tpm != null || maxConcurrent != null;
    }

    /** A policy that leaves the request log to the operator's defaults (mode and retention). */
    public KeyPolicy(String preset, PrivacyMode minMode, Set<String> allowedModels, Set<String> allowedRoutes,
                     Set<String> jurisdictions, Long budgetMicros, BudgetPeriod budgetPeriod, Integer rpm, Integer tpm) {
        this(preset, minMode, allowedModels, allowedRoutes, jurisdictions, budgetMicros, budgetPeriod, rpm, tpm, null,
                null);
    }

    /** This policy with the request log kept as {@code mode} for {@code retentionDays} ({@code null}s = defaults). */
    public KeyPolicy withRequestLog(RequestLogMode mode, Integer retentionDays) {
        return new KeyPolicy(preset, minMode, allowedModels, allowedRoutes, jurisdictions, budgetMicros, budgetPeriod,
                rpm, tpm, mode, retentionDays, maxConcurrent);
    }

    /** The names of the presets, weakest first. */
    public static final java.util.List<String> PRESETS = java.util.List.of("public", "internal", "confidential", "regulated");

    /**
     * A classification preset: {@code public} → anonymized, {@code internal} → private (no training, zero retention),
     * {@code confidential} → tee, {@code regulated} → e2ee. Presets set only the minimum mode; models, routes,
     * jurisdictions, budget and limits can be added on top.
     *
     * @throws IllegalArgumentException naming the presets when {@code name} is not one of them
     */
    public static KeyPolicy preset(String name) {
        PrivacyMode mode = switch (name == null ? "" : name) {
            case "public" -> PrivacyMode.ANONYMIZED;
            case "internal" -> PrivacyMode.PRIVATE;
            case "confidential" -> PrivacyMode.TEE;
            case "regulated" -> PrivacyMode.E2EE;
            default -> throw new IllegalArgumentException(
                    "unknown preset; expected one of public, internal, confidential, regulated");
        };
        return new KeyPolicy(name, mode, Set.of(), Set.of(), Set.of(), null, BudgetPeriod.MONTH, null, null);
    }

    /** Whether the key may use this public model. */
    public boolean allowsModel(String modelId) {
        return allowedModels.isEmpty() || allowedModels.contains(modelId);
    }
}
