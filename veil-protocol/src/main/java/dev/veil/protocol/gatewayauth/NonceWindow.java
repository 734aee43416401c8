package dev.veil.protocol.gatewayauth;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The nonces of signatures accepted in the last {@code keepMillis}, so a signed request replayed while its time is
 * still fresh is refused. Entries are kept in arrival order, so expiry removes from the oldest end in constant time
 * per entry. Bounded: when {@code capacity} nonces are live, new ones are refused ({@link Use#FULL}) until old ones
 * expire, rather than forgetting a nonce that could still be replayed. Thread-safe.
 */
public final class NonceWindow {

    /** What recording a nonce found. */
    public enum Use { FRESH, REPLAYED, FULL }

    private final int capacity;
    private final long keepMillis;
    private final LinkedHashMap<String, Long> expiries = new LinkedHashMap<>();

    /**
     * @param keepMillis how long a nonce is remembered: at least twice the accepted clock skew, since a signature
     *                   stays acceptable from its time minus the skew to its time plus the skew
     */
    public NonceWindow(int capacity, long keepMillis) {
        this.capacity = capacity;
        this.keepMillis = keepMillis;
    }

    /** Records {@code nonce} at {@code nowMillis}. */
    public synchronized Use firstUse(String nonce, long nowMillis) {
        Iterator<Map.Entry<String, Long>> oldest = expiries.entrySet().iterator();
        // Kept up to and including its expiry: a signature fresh at most skew before and after its time is refused
        // again at the very last millisecond too.
        while (oldest.hasNext() && oldest.next().getValue() < nowMillis) {
            oldest.remove();
        }
        if (expiries.containsKey(nonce)) {
            return Use.REPLAYED;
        }
        if (expiries.size() >= capacity) {
            return Use.FULL;
        }
        expiries.put(nonce, nowMillis + keepMillis);
        return Use.FRESH;
    }

    /** How many nonces are remembered now. */
    public synchronized int size() {
        return expiries.size();
    }
}
