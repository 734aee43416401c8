package dev.veil.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Clients that misbehave alongside the soak's well-behaved ones, over raw sockets on their own event loop. Each kind
 * opens {@code perSecond} connections a second while fewer than {@code maxOpen} of its own are open (a tenth of that
 * for the non-reading streams), and never gives up on one: only the gateway can close it. What is counted is whether and when the gateway does.
 */
public final class HostileClients implements AutoCloseable {

    /** The misbehaviours. */
    public enum Kind {
        /** Headers never finished: one more header line every {@link #TRICKLE_MS}, so that only a header timeout ends it. */
        SLOWLORIS("slowloris"),
        /** Complete headers declaring {@code Content-Length: 16777216}, then a few bytes of body and nothing more. */
        BIG_BODY("big-body"),
        /** A complete streamed request for a long stream, then the client stops reading. */
        NO_READ("no-read");

        private final String id;

        Kind(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        /** The kind with this id; an IllegalArgumentException naming the known ones otherwise. */
        public static Kind byId(String id) {
            for (Kind k : values()) {
                if (k.id.equals(id.trim().toLowerCase(Locale.ROOT))) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown hostile client '" + id + "' (known: slowloris, big-body, no-read)");
        }
    }

    /** Between two header lines of a slowloris client. */
    static final long TRICKLE_MS = 5_000;

    /**
     * What happened to one kind's connections: opened, closed by the gateway, failed to connect, open at the end,
     * the most open at once, and how long the gateway took to close them (median and longest) and how old the
     * oldest still-open one was at the end, in seconds.
     */
    public record Tally(long opened, long closedByGateway, long connectFailures, long openAtEnd, long maxOpen,
                        double closeMedianSeconds, double closeMaxSeconds, double oldestOpenSeconds,
                        double activeSeconds) {
    }

    private final Vertx vertx;
    private final NetClient client;
    private final String host;
    private final int port;
    private final Map<Kind, byte[]> opening = new EnumMap<>(Kind.class);
    private final Set<Kind> kinds;
    private final int perSecond;
    private final int maxOpen;
    private final Map<Kind, State> states = new EnumMap<>(Kind.class);
    private long timerId = -1;
    private long trickleId = -1;
    private long startedAt;

    /** One kind's bookkeeping; touched only on the event loop. */
    private static final class State {
        final Set<Conn> open = new HashSet<>();
        final List<Long> closeNanos = new ArrayList<>();
        long opened;
        long connectFailures;
        long pending;
        long maxOpen;
    }

    private static final class Conn {
        final long openedAt = System.nanoTime();
        NetSocket socket;
        boolean closedByUs;
    }

    /**
     * @param apiKey      a valid key, so that the big body passes authentication and reaches the body reader
     * @param streamModel the model the non-reading clients stream (a long stream)
     */
    public HostileClients(String host, int port, String apiKey, String streamModel, Set<Kind> kinds, int perSecond,
                          int maxOpen) {
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1).setBlockedThreadCheckInterval(TimeUnit.HOURS.toMillis(1)));
        this.client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(5_000).setTcpNoDelay(true));
        this.host = host;
        this.port = port;
        this.kinds = kinds.isEmpty() ? Set.of() : Collections.unmodifiableSet(java.util.EnumSet.copyOf(kinds));
        this.perSecond = perSecond;
        this.maxOpen = maxOpen;
        String auth = "authorization: Bearer " + apiKey + "\r\n";
        opening.put(Kind.SLOWLORIS, ("POST /v1/chat/completions HTTP/1.1\r\nhost: " + host + "\r\n" + auth
                + "content-type: application/json\r\n").getBytes(StandardCharsets.US_ASCII));
        opening.put(Kind.BIG_BODY, ("POST /v1/chat/completions HTTP/1.1\r\nhost: " + host + "\r\n" + auth
                + "content-type: application/json\r\ncontent-length: 16777216\r\n\r\n{\"model\":")
                .getBytes(StandardCharsets.US_ASCII));
        byte[] body = Harness.chatBody(streamModel, true);
        opening.put(Kind.NO_READ, ("POST /v1/chat/completions HTTP/1.1\r\nhost: " + host + "\r\n" + auth
                + "content-type: application/json\r\naccept: text/event-stream\r\ncontent-length: " + body.length
                + "\r\n\r\n" + new String(body, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
        for (Kind k : Kind.values()) {
            states.put(k, new State());
        }
    }

    /** Starts opening connections. */
    public void start() {
        if (kinds.isEmpty() || perSecond <= 0) {
            return;
        }
        startedAt = System.nanoTime();
        vertx.runOnContext(v -> {
            timerId = vertx.setPeriodic(Math.max(1, 1000 / perSecond), id -> kinds.forEach(this::openOne));
            trickleId = vertx.setPeriodic(TRICKLE_MS, id -> trickle());
        });
    }

    private void openOne(Kind kind) {
        State st = states.get(kind);
        if (st.open.size() + st.pending >= limit(kind)) {
            return;
        }
        st.pending++;
        client.connect(port, host).onComplete(ar -> {
            st.pending--;
            if (ar.failed()) {
                st.connectFailures++;
                return;
            }
            Conn c = new Conn();
            c.socket = ar.result();
            st.opened++;
            st.open.add(c);
            st.maxOpen = Math.max(st.maxOpen, st.open.size());
            c.socket.closeHandler(v -> {
                if (st.open.remove(c) && !c.closedByUs) {
                    st.closeNanos.add(System.nanoTime() - c.openedAt);
                }
            });
            c.socket.exceptionHandler(t -> { });
            if (kind == Kind.NO_READ) {
                // Stop reading once the answer has started: from then on the gateway's writes back up.
                c.socket.handler(b -> c.socket.pause());
            } else {
                c.socket.handler(b -> { });
            }
            c.socket.write(Buffer.buffer(opening.get(kind)));
        });
    }

    /** The most open connections of a kind: a tenth for the non-reading streams, each of which holds megabytes. */
    int limit(Kind kind) {
        return kind == Kind.NO_READ ? Math.max(1, maxOpen / 10) : maxOpen;
    }

    private void trickle() {
        Buffer line = Buffer.buffer("x-slow: 1\r\n");
        for (Conn c : states.get(Kind.SLOWLORIS).open) {
            c.socket.write(line);
        }
    }

    /** Stops opening, closes what is still open, and returns each kind's tally. */
    public Map<Kind, Tally> stop() {
        CompletableFuture<Map<Kind, Tally>> done = new CompletableFuture<>();
        vertx.runOnContext(v -> {
            if (timerId >= 0) {
                vertx.cancelTimer(timerId);
                vertx.cancelTimer(trickleId);
            }
            long now = System.nanoTime();
            Map<Kind, Tally> tallies = new EnumMap<>(Kind.class);
            for (Kind k : kinds) {
                State st = states.get(k);
                long oldest = 0;
                for (Conn c : st.open) {
                    oldest = Math.max(oldest, now - c.openedAt);
                }
                tallies.put(k, tally(st.opened, st.connectFailures, st.open.size(), st.maxOpen, st.closeNanos, oldest,
                        now - startedAt));
                for (Conn c : new ArrayList<>(st.open)) {
                    c.closedByUs = true;
                    c.socket.close();
                }
            }
            done.complete(tallies);
        });
        try {
            return done.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the hostile clients did not stop: " + e, e);
        }
    }

    static Tally tally(long opened, long connectFailures, long openAtEnd, long maxOpen, List<Long> closeNanos,
                       long oldestOpenNanos, long activeNanos) {
        List<Long> sorted = new ArrayList<>(closeNanos);
        Collections.sort(sorted);
        double median = sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() / 2) / 1e9;
        double max = sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1) / 1e9;
        return new Tally(opened, sorted.size(), connectFailures, openAtEnd, maxOpen, median, max,
                openAtEnd == 0 ? Double.NaN : oldestOpenNanos / 1e9, activeNanos / 1e9);
    }

    @Override
    public void close() {
        try {
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // best effort
        }
    }
}
