package dev.veil.bench;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the fake upstreams did with the last attempt of each soak request, keyed by the request's {@code x-soak-id}
 * header (which the gateway forwards): the load generator asks it, once the request is over, whether an error event
 * at the end of the stream was the expected outcome. Attempts of one request follow each other, so the last one
 * recorded is the one the client saw. Entries are removed when read.
 */
public final class FaultLog {

    /** The request header that carries the soak request's id to the upstream. */
    public static final String HEADER = "x-soak-id";

    private final Map<String, Fault> last = new ConcurrentHashMap<>();

    /** Records the fault (or {@link Fault#NONE}) served to an attempt of request {@code id}; ignores a null id. */
    public void record(String id, Fault fault) {
        if (id != null) {
            last.put(id, fault);
        }
    }

    /** The fault of request {@code id}'s last attempt, removed from the log; null when no attempt reached a fake. */
    public Fault take(String id) {
        return last.remove(id);
    }

    /** Entries not taken yet (requests in flight, or answered but not yet classified). */
    public int size() {
        return last.size();
    }
}
