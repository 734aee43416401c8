package dev.veil.gateway.routing;

/**
 * Rolling performance figures of one route for ranking ({@code provider.sort}): exponentially weighted averages of
 * latency (time to first byte or first token) and of throughput (completion tokens per second of a stream), and of
 * the failure rate. They carry no key and no request identity. Thread-safe.
 */
public final class RouteStats {

    /** Weight of the newest observation. */
    private static final double ALPHA = 0.2;

    private double latencyMillis = Double.NaN;
    private double tokensPerSecond = Double.NaN;
    private double failureRate;
    private long observations;

    /** Records a successful answer's latency in milliseconds. */
    public synchronized void latency(double millis) {
        latencyMillis = Double.isNaN(latencyMillis) ? millis : latencyMillis + ALPHA * (millis - latencyMillis);
        failureRate = failureRate * (1 - ALPHA);
        observations++;
    }

    /** Records a stream's generation speed. */
    public synchronized void throughput(double tokensPerSecondObserved) {
        tokensPerSecond = Double.isNaN(tokensPerSecond) ? tokensPerSecondObserved
                : tokensPerSecond + ALPHA * (tokensPerSecondObserved - tokensPerSecond);
    }

    /** Records a failed attempt. */
    public synchronized void failure() {
        failureRate = failureRate + ALPHA * (1 - failureRate);
        observations++;
    }

    /** Average latency in milliseconds, NaN when unknown. */
    public synchronized double latencyMillis() {
        return latencyMillis;
    }

    /** Average tokens per second, NaN when unknown. */
    public synchronized double tokensPerSecond() {
        return tokensPerSecond;
    }

    public synchronized double failureRate() {
        return failureRate;
    }

    public synchronized long observations() {
        return observations;
    }
}
