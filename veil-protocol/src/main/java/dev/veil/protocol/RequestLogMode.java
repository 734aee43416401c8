package dev.veil.protocol;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * What Veil's request log keeps about a key's requests (metadata minimisation), finest first. Set per key
 * ({@link KeyPolicy#requestLog()}) or by the operator's default ({@code store.request_log}).
 *
 * <p>Every mode keeps the same daily usage totals per key and model (the billing ledger). They differ in what is kept
 * per request:
 * <ul>
 *   <li>{@link #FULL}: one row per request, its arrival time to the second;</li>
 *   <li>{@link #MINUTE} and {@link #HOUR}: one row per request, its arrival time cut to the minute or hour;</li>
 *   <li>{@link #DAILY_TOTALS}: no row per request and no request id stored, only counts, tokens and cost per UTC day,
 *       endpoint, model, route and status class.</li>
 * </ul>
 * The request id a key's requests get carries no finer time than the mode's {@link #timeUnit()}.
 */
public enum RequestLogMode {
    /** A row per request, time to the second. */
    FULL("second", ChronoUnit.SECONDS),
    /** A row per request, time cut to the minute. */
    MINUTE("minute", ChronoUnit.MINUTES),
    /** A row per request, time cut to the hour. */
    HOUR("hour", ChronoUnit.HOURS),
    /** No row per request: totals per UTC day only. */
    DAILY_TOTALS("day", ChronoUnit.DAYS);

    /** The wire names, in order, for messages. */
    public static final String WIRE_NAMES = "full, minute, hour, daily_totals";

    private final String timeName;
    private final ChronoUnit timeUnit;
    private final long unitMillis;

    RequestLogMode(String timeName, ChronoUnit timeUnit) {
        this.timeName = timeName;
        this.timeUnit = timeUnit;
        this.unitMillis = timeUnit.getDuration().toMillis();
    }

    /** The wire name: {@code full}, {@code minute}, {@code hour} or {@code daily_totals}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The finest time kept: {@code second}, {@code minute}, {@code hour} or {@code day}. */
    public String timeName() {
        return timeName;
    }

    /** The finest time unit kept, in the store and in request ids. */
    public ChronoUnit timeUnit() {
        return timeUnit;
    }

    /** Whether a row is kept per request (every mode but {@link #DAILY_TOTALS}). */
    public boolean perRequestRows() {
        return this != DAILY_TOTALS;
    }

    /** {@code instant} cut to this mode's time unit (UTC). */
    public Instant truncate(Instant instant) {
        return instant.truncatedTo(timeUnit);
    }

    /** {@code epochMillis} cut to this mode's time unit (UTC; days are UTC days). */
    public long truncate(long epochMillis) {
        return Math.floorDiv(epochMillis, unitMillis) * unitMillis;
    }

    /**
     * Parses a wire name.
     *
     * @throws IllegalArgumentException naming the accepted values when {@code value} is not one of them
     */
    public static RequestLogMode fromWireName(String value) {
        for (RequestLogMode mode : values()) {
            if (mode.wireName().equals(value)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown request log mode; expected one of " + WIRE_NAMES);
    }
}
