package dev.veil.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * The load generator: a Vert.x HTTP client on its own single event loop. Closed loop for one-connection latency and
 * maximum throughput; open loop at a fixed rate for latency under load, where every request has an intended send time
 * on a fixed schedule and its latency is measured from that time (so a stalled server cannot make the generator wait
 * and hide the stall: no coordinated omission); sequential streams for time to first token and inter-chunk gaps; and
 * many concurrent slow streams. Latencies go into HdrHistograms in nanoseconds.
 */
public final class LoadGen implements AutoCloseable {

    private static final long IDLE_TIMEOUT_MS = 30_000;

    private final Vertx vertx;

    public LoadGen() {
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1).setBlockedThreadCheckInterval(TimeUnit.HOURS.toMillis(1)));
    }

    // ------------------------------------------------------------------------------------------------ results

    /** A closed-loop run: latency of each completed request, throughput over the measured window. */
    public record Closed(Histogram latency, long ok, long errors, double rps, String firstError) {
        public double successPct() {
            return pct(ok, ok + errors);
        }
    }

    /** An open-loop run at a fixed rate. {@code timeouts} were still unanswered when the drain time ran out. */
    public record Open(Histogram latency, long scheduled, long ok, long errors, long timeouts, double achievedRps,
                       String firstError) {
        public double successPct() {
            return pct(ok, scheduled);
        }
    }

    /** Sequential streams: time to first chunk, gaps between chunks, and whether every frame arrived. */
    public record Streams(Histogram ttft, Histogram gap, long streams, long ok, long exactFrames, long framesExpected,
                          long framesReceived, String firstError) {
        public double successPct() {
            return pct(ok, streams);
        }

        public double exactFramesPct() {
            return pct(exactFrames, streams);
        }
    }

    /** Many concurrent slow streams. {@code maxOpen} is the most streams open at one time. */
    public record Slow(int requested, long ok, long errors, long maxOpen, double openSeconds, String firstError) {
        public double successPct() {
            return pct(ok, requested);
        }
    }

    static double pct(long part, long whole) {
        return whole == 0 ? Double.NaN : 100.0 * part / whole;
    }

    // ------------------------------------------------------------------------------------------------ runs

    private HttpClientAgent client(int maxConnections) {
        return vertx.createHttpClient(new HttpClientOptions().setTcpNoDelay(true).setKeepAlive(true)
                        .setConnectTimeout(10_000).setDecompressionSupported(false).setKeepAliveTimeout(0),
                new PoolOptions().setHttp1MaxSize(maxConnections));
    }

    private <T> T runOnLoop(Consumer<CompletableFuture<T>> body, long timeoutNanos) {
        CompletableFuture<T> done = new CompletableFuture<>();
        Context context = vertx.getOrCreateContext();
        context.runOnContext(v -> {
            try {
                body.accept(done);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        try {
            return done.get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("load run did not finish: " + e, e);
        }
    }

    private static Future<Integer> whole(HttpClientAgent client, RequestOptions options, Buffer body) {
        return client.request(options).compose(req -> req.send(body))
                .compose(resp -> resp.body().map(b -> resp.statusCode()));
    }

    private static String describe(Throwable t) {
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    /**
     * {@code connections} workers each send the next request as soon as the previous one is answered. Requests that
     * start after {@code warmNanos} and end before the window closes are counted.
     */
    public Closed closedLoop(Dest dest, byte[] body, int connections, long warmNanos, long measureNanos) {
        HttpClientAgent client = client(connections);
        try {
            return runOnLoop(done -> new ClosedRun(client, dest.options(false, IDLE_TIMEOUT_MS), Buffer.buffer(body),
                    connections, warmNanos, measureNanos, done).start(), warmNanos + measureNanos + TimeUnit.SECONDS.toNanos(60));
        } finally {
            client.close();
        }
    }

    private final class ClosedRun {
        final HttpClientAgent client;
        final RequestOptions options;
        final Buffer body;
        final int connections;
        final long warmNanos;
        final long measureNanos;
        final CompletableFuture<Closed> done;
        final Histogram latency = Stats.histogram();
        long measureStart = Long.MAX_VALUE;
        long measureEnd;
        boolean stopping;
        int active;
        long ok;
        long errors;
        String firstError;

        ClosedRun(HttpClientAgent client, RequestOptions options, Buffer body, int connections, long warmNanos,
                  long measureNanos, CompletableFuture<Closed> done) {
            this.client = client;
            this.options = options;
            this.body = body;
            this.connections = connections;
            this.warmNanos = warmNanos;
            this.measureNanos = measureNanos;
            this.done = done;
        }

        void start() {
            active = connections;
            for (int i = 0; i < connections; i++) {
                fire();
            }
            vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(warmNanos)), id -> {
                measureStart = System.nanoTime();
                vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(measureNanos)), id2 -> {
                    measureEnd = System.nanoTime();
                    stopping = true;
                });
            });
        }

        void fire() {
            long t0 = System.nanoTime();
            whole(client, options, body).onComplete(ar -> {
                long t1 = System.nanoTime();
                if (!stopping && t0 >= measureStart) {
                    if (ar.succeeded() && ar.result() / 100 == 2) {
                        ok++;
                        Stats.record(latency, t1 - t0);
                    } else {
                        errors++;
                        if (firstError == null) {
                            firstError = ar.succeeded() ? "HTTP " + ar.result() : describe(ar.cause());
                        }
                    }
                }
                if (stopping) {
                    if (--active == 0) {
                        double seconds = (measureEnd - measureStart) / 1e9;
                        done.complete(new Closed(latency, ok, errors, ok / seconds, firstError));
                    }
                } else {
                    fire();
                }
            });
        }
    }

    /**
     * Sends {@code rate} requests a second on a fixed schedule for {@code warmNanos + measureNanos}, whatever the
     * answers do, and measures each latency from its intended send time. Requests scheduled in the measured window are
     * counted; what is unanswered {@code drainNanos} after the last send counts as timed out.
     */
    public Open openLoop(Dest dest, byte[] body, int rate, long warmNanos, long measureNanos, long drainNanos,
                         int maxConnections) {
        HttpClientAgent client = client(maxConnections);
        try {
            return runOnLoop(done -> new OpenRun(client, dest.options(false, IDLE_TIMEOUT_MS), Buffer.buffer(body), rate,
                    warmNanos, measureNanos, drainNanos, done).start(),
                    warmNanos + measureNanos + drainNanos + TimeUnit.SECONDS.toNanos(60));
        } finally {
            client.close();
        }
    }

    private final class OpenRun {
        final HttpClientAgent client;
        final RequestOptions options;
        final Buffer body;
        final double periodNanos;
        final long total;
        final long warmCount;
        final long measureNanos;
        final long drainNanos;
        final CompletableFuture<Open> done;
        final Histogram latency = Stats.histogram();
        Schedule schedule;
        long outstandingMeasured;
        long outstanding;
        long ok;
        long errors;
        long timerId = -1;
        boolean finished;
        String firstError;

        OpenRun(HttpClientAgent client, RequestOptions options, Buffer body, int rate, long warmNanos, long measureNanos,
                long drainNanos, CompletableFuture<Open> done) {
            this.client = client;
            this.options = options;
            this.body = body;
            this.periodNanos = 1e9 / rate;
            this.warmCount = (long) (warmNanos / periodNanos);
            this.total = warmCount + (long) (measureNanos / periodNanos);
            this.measureNanos = measureNanos;
            this.drainNanos = drainNanos;
            this.done = done;
        }

        void start() {
            schedule = new Schedule(periodNanos, total);
            timerId = vertx.setPeriodic(1, id -> tick());
        }

        void tick() {
            if (schedule.sendDue(this::send) && timerId >= 0) {
                vertx.cancelTimer(timerId);
                timerId = -1;
                vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(drainNanos)), id -> finish());
                if (outstanding == 0) {
                    finish();
                }
            }
        }

        void send(long i) {
            long intended = schedule.intended(i);
            boolean measured = i >= warmCount;
            outstanding++;
            if (measured) {
                outstandingMeasured++;
            }
            whole(client, options, body).onComplete(ar -> {
                long t1 = System.nanoTime();
                outstanding--;
                if (measured && !finished) {
                    outstandingMeasured--;
                    if (ar.succeeded() && ar.result() / 100 == 2) {
                        ok++;
                        Stats.record(latency, t1 - intended);
                    } else {
                        errors++;
                        if (firstError == null) {
                            firstError = ar.succeeded() ? "HTTP " + ar.result() : describe(ar.cause());
                        }
                    }
                }
                if (schedule.allSent() && outstanding == 0) {
                    finish();
                }
            });
        }

        void finish() {
            if (finished) {
                return;
            }
            finished = true;
            long scheduled = total - warmCount;
            long timeouts = outstandingMeasured;
            if (timeouts > 0 && firstError == null) {
                firstError = timeouts + " requests unanswered " + TimeUnit.NANOSECONDS.toSeconds(drainNanos) + " s after the last send";
            }
            done.complete(new Open(latency, scheduled, ok, errors, timeouts, ok / (measureNanos / 1e9), firstError));
        }
    }

    /** A fixed-rate schedule for the open-loop runs: request {@code i} is due at {@code t0 + i × period}. */
    static final class Schedule {
        private final long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1);
        private final double periodNanos;
        private long total;
        private long next;

        Schedule(double periodNanos, long total) {
            this.periodNanos = periodNanos;
            this.total = total;
        }

        /** The intended send time of request {@code i}: its latency counts from here. */
        long intended(long i) {
            return t0 + (long) (i * periodNanos);
        }

        /** Sends every request due by now, in order; returns whether all have been sent. */
        boolean sendDue(java.util.function.LongConsumer send) {
            long now = System.nanoTime();
            while (next < total && intended(next) <= now) {
                send.accept(next++);
            }
            return next >= total;
        }

        boolean allSent() {
            return next >= total;
        }

        /** Sends nothing more. */
        void stop() {
            total = next;
        }

        /** Requests sent so far. */
        long sent() {
            return next;
        }
    }

    /**
     * {@code warm + count} streams one after another on one connection. For each: time from send to the first
     * chunk, the gaps between consecutive chunks (events arriving in one read get the same time, so buffering shows
     * as near-zero gaps followed by a long one), and whether exactly {@code expectedChunks} chunks and
     * {@code [DONE]} arrived.
     */
    public Streams streams(Dest dest, byte[] body, int warm, int count, int expectedChunks) {
        HttpClientAgent client = client(1);
        try {
            return runOnLoop(done -> new StreamRun(client, dest.options(true, IDLE_TIMEOUT_MS), Buffer.buffer(body), warm,
                    count, expectedChunks, done).next(), TimeUnit.MINUTES.toNanos(10));
        } finally {
            client.close();
        }
    }

    /** The per-stream bookkeeping shared by sequential and concurrent streams. */
    private static final class OneStream implements Sse.Listener {
        final Sse.Splitter splitter = new Sse.Splitter();
        final long t0 = System.nanoTime();
        long now;
        long first = -1;
        long last;
        int chunks;
        boolean sawDone;
        boolean sawError;
        Histogram gaps;

        @Override
        public void onEvent(Sse.Kind kind) {
            switch (kind) {
                case CHUNK -> {
                    if (first < 0) {
                        first = now;
                    } else if (gaps != null) {
                        Stats.record(gaps, now - last);
                    }
                    last = now;
                    chunks++;
                }
                case DONE -> sawDone = true;
                case ERROR -> sawError = true;
                default -> {
                    // usage chunk, comments: not frames the client counts
                }
            }
        }

        void feed(Buffer buffer) {
            now = System.nanoTime();
            splitter.feed(buffer.getBytes(), this);
        }
    }

    private interface StreamEnd {
        void ended(OneStream s, String error);
    }

    private static void openStream(HttpClientAgent client, RequestOptions options, Buffer body, OneStream s,
                                   Runnable onOpen, StreamEnd onEnd) {
        client.request(options).compose(req -> req.send(body)).onComplete(ar -> {
            if (ar.failed()) {
                onEnd.ended(s, describe(ar.cause()));
                return;
            }
            HttpClientResponse resp = ar.result();
            if (resp.statusCode() != 200) {
                resp.body().onComplete(b -> onEnd.ended(s, "HTTP " + resp.statusCode()));
                return;
            }
            onOpen.run();
            boolean[] ended = new boolean[1];
            resp.handler(s::feed);
            resp.exceptionHandler(t -> {
                if (!ended[0]) {
                    ended[0] = true;
                    onEnd.ended(s, describe(t));
                }
            });
            resp.endHandler(v -> {
                if (!ended[0]) {
                    ended[0] = true;
                    onEnd.ended(s, null);
                }
            });
        });
    }

    private final class StreamRun {
        final HttpClientAgent client;
        final RequestOptions options;
        final Buffer body;
        final int warm;
        final int count;
        final int expected;
        final CompletableFuture<Streams> done;
        final Histogram ttft = Stats.histogram();
        final Histogram gap = Stats.histogram();
        int started;
        long ok;
        long exact;
        long framesReceived;
        String firstError;

        StreamRun(HttpClientAgent client, RequestOptions options, Buffer body, int warm, int count, int expected,
                  CompletableFuture<Streams> done) {
            this.client = client;
            this.options = options;
            this.body = body;
            this.warm = warm;
            this.count = count;
            this.expected = expected;
            this.done = done;
        }

        void next() {
            if (started == warm + count) {
                done.complete(new Streams(ttft, gap, count, ok, exact, (long) expected * count, framesReceived, firstError));
                return;
            }
            boolean measured = started >= warm;
            started++;
            OneStream s = new OneStream();
            if (measured) {
                s.gaps = gap;
            }
            openStream(client, options, body, s, () -> { }, (stream, error) -> {
                if (measured) {
                    framesReceived += stream.chunks;
                    boolean good = error == null && !stream.sawError && stream.sawDone && stream.first >= 0;
                    if (good) {
                        ok++;
                        Stats.record(ttft, stream.first - stream.t0);
                    } else if (firstError == null) {
                        firstError = error != null ? error : stream.sawError ? "error event in stream"
                                : !stream.sawDone ? "stream ended without [DONE]" : "no chunk";
                    }
                    if (good && stream.chunks == expected) {
                        exact++;
                    } else if (good && firstError == null) {
                        firstError = "got " + stream.chunks + " chunks, expected " + expected;
                    }
                }
                next();
            });
        }
    }

    /**
     * Opens {@code n} streams, {@code perSecond} a second, and holds them all; each should deliver
     * {@code expectedChunks} chunks and {@code [DONE]}. Counts the streams that did, the errors, and the most open at
     * once.
     */
    public Slow slowStreams(Dest dest, byte[] body, int n, int perSecond, int expectedChunks, long timeoutNanos) {
        HttpClientAgent client = client(n + 16);
        try {
            return runOnLoop(done -> new SlowRun(client, dest.options(true, 120_000), Buffer.buffer(body), n, perSecond,
                    expectedChunks, timeoutNanos, done).start(), timeoutNanos + TimeUnit.SECONDS.toNanos(30));
        } finally {
            client.close();
        }
    }

    private final class SlowRun {
        final HttpClientAgent client;
        final RequestOptions options;
        final Buffer body;
        final int n;
        final double perNano;
        final int expected;
        final long timeoutNanos;
        final CompletableFuture<Slow> done;
        long t0;
        int started;
        int ended;
        long open;
        long maxOpen;
        long maxOpenAt;
        long ok;
        long errors;
        long timerId = -1;
        boolean finished;
        String firstError;

        SlowRun(HttpClientAgent client, RequestOptions options, Buffer body, int n, int perSecond, int expected,
                long timeoutNanos, CompletableFuture<Slow> done) {
            this.client = client;
            this.options = options;
            this.body = body;
            this.n = n;
            this.perNano = perSecond / 1e9;
            this.expected = expected;
            this.timeoutNanos = timeoutNanos;
            this.done = done;
        }

        void start() {
            t0 = System.nanoTime();
            timerId = vertx.setPeriodic(1, id -> tick());
            vertx.setTimer(TimeUnit.NANOSECONDS.toMillis(timeoutNanos), id -> finish());
        }

        void tick() {
            long due = Math.min(n, (long) ((System.nanoTime() - t0) * perNano) + 1);
            while (started < due) {
                started++;
                OneStream s = new OneStream();
                boolean[] opened = new boolean[1];
                openStream(client, options, body, s, () -> {
                    opened[0] = true;
                    open++;
                    if (open > maxOpen) {
                        maxOpen = open;
                        maxOpenAt = System.nanoTime();
                    }
                }, (stream, error) -> {
                    if (opened[0]) {
                        open--;
                    }
                    ended++;
                    if (error == null && !stream.sawError && stream.sawDone && stream.chunks == expected) {
                        ok++;
                    } else {
                        errors++;
                        if (firstError == null) {
                            firstError = error != null ? error : stream.sawError ? "error event in stream"
                                    : "got " + stream.chunks + " chunks" + (stream.sawDone ? "" : " and no [DONE]");
                        }
                    }
                    if (ended == n) {
                        finish();
                    }
                });
            }
            if (started >= n && timerId >= 0) {
                vertx.cancelTimer(timerId);
                timerId = -1;
            }
        }

        void finish() {
            if (finished) {
                return;
            }
            finished = true;
            if (timerId >= 0) {
                vertx.cancelTimer(timerId);
            }
            long unfinished = n - ended;
            if (unfinished > 0 && firstError == null) {
                firstError = unfinished + " streams unfinished at the time limit";
            }
            done.complete(new Slow(n, ok, errors + unfinished, maxOpen, (maxOpenAt - t0) / 1e9, firstError));
        }
    }

    // ------------------------------------------------------------------------------------------------ soak

    /** Largest body or single event a soak client keeps: what a correct answer needs, with room to spare. */
    static final int SOAK_BODY_CAP = 1 << 20;

    /**
     * What the soak's well-behaved clients send: {@code rate} requests a second for {@code durationNanos}, a seeded
     * {@code streamPercent} % of them streams (expecting {@code expectedChunks} chunks), the rest whole requests; each
     * carries its id in {@link FaultLog#HEADER}. A request without a byte for {@code idleTimeoutMs} fails; what is
     * still open {@code drainNanos} after the last send counts as unanswered.
     */
    public record SoakSpec(Dest dest, byte[] wholeBody, byte[] streamBody, int streamPercent, int expectedChunks,
                           int rate, long durationNanos, long idleTimeoutMs, long drainNanos, int maxConnections) {
    }

    /**
     * The soak's outcomes ({@link SoakOutcome}): counts per class and per reason, latency of the successful whole
     * requests and time to first chunk and to {@code [DONE]} of the successful streams, all from the intended send
     * times.
     */
    public record SoakLoad(long scheduled, long sent, long ok, long expected, long unexpected, long whole, long streams,
                           Map<String, Long> unexpectedReasons, Map<String, Long> expectedReasons,
                           Histogram wholeLatency, Histogram streamTtft, Histogram streamTotal, double seconds) {
        /** Share of the requests that must succeed (all but the expected errors) that did. */
        public double successPct() {
            return pct(ok, ok + unexpected);
        }
    }

    /**
     * Runs the soak's well-behaved clients (see {@link SoakSpec}). {@code lastFault} tells, once a request is over,
     * the fault of its last upstream attempt ({@link FaultLog#take}); {@code abort} is polled every millisecond and
     * ends the sending early (the gateway died). {@code progress} gets a one-line summary every ten seconds.
     */
    public SoakLoad soak(SoakSpec spec, java.util.function.Function<String, Fault> lastFault,
                         java.util.function.BooleanSupplier abort, Consumer<String> progress) {
        HttpClientAgent client = client(spec.maxConnections());
        try {
            return runOnLoop(done -> new SoakRun(client, spec, lastFault, abort, progress, done).start(),
                    spec.durationNanos() + spec.drainNanos() + TimeUnit.SECONDS.toNanos(60));
        } finally {
            client.close();
        }
    }

    /** A body read up to a cap: what a soak client keeps of an answer. */
    private record Capped(int status, byte[] body, boolean truncated, String failure) {
    }

    /** Reads {@code resp}'s body up to {@code cap} bytes; beyond that it closes the connection. */
    private static Future<Capped> readCapped(HttpClientResponse resp, int cap) {
        io.vertx.core.Promise<Capped> promise = io.vertx.core.Promise.promise();
        Buffer kept = Buffer.buffer();
        resp.handler(b -> {
            if (kept.length() + b.length() > cap) {
                if (promise.tryComplete(new Capped(resp.statusCode(), kept.getBytes(), true, null))) {
                    resp.request().connection().close();
                }
            } else {
                kept.appendBuffer(b);
            }
        });
        resp.exceptionHandler(t -> promise.tryComplete(new Capped(resp.statusCode(), kept.getBytes(), false,
                SoakOutcome.describe(t))));
        resp.endHandler(v -> promise.tryComplete(new Capped(resp.statusCode(), kept.getBytes(), false, null)));
        return promise.future();
    }

    private final class SoakRun {
        final HttpClientAgent client;
        final SoakSpec spec;
        final java.util.function.Function<String, Fault> lastFault;
        final java.util.function.BooleanSupplier abort;
        final Consumer<String> progress;
        final CompletableFuture<SoakLoad> done;
        final java.util.SplittableRandom mix = new java.util.SplittableRandom(42);
        final Map<String, Long> unexpectedReasons = new java.util.TreeMap<>();
        final Map<String, Long> expectedReasons = new java.util.TreeMap<>();
        final Histogram wholeLatency = Stats.histogram();
        final Histogram streamTtft = Stats.histogram();
        final Histogram streamTotal = Stats.histogram();
        final Buffer wholeBody;
        final Buffer streamBody;
        Schedule schedule;
        long planned;
        long started;
        long lastProgress;
        long outstanding;
        long ok;
        long expected;
        long unexpected;
        long whole;
        long streams;
        long timerId = -1;
        boolean draining;
        boolean finished;

        SoakRun(HttpClientAgent client, SoakSpec spec, java.util.function.Function<String, Fault> lastFault,
                java.util.function.BooleanSupplier abort, Consumer<String> progress, CompletableFuture<SoakLoad> done) {
            this.client = client;
            this.spec = spec;
            this.lastFault = lastFault;
            this.abort = abort;
            this.progress = progress;
            this.done = done;
            this.wholeBody = Buffer.buffer(spec.wholeBody());
            this.streamBody = Buffer.buffer(spec.streamBody());
        }

        void start() {
            started = System.nanoTime();
            lastProgress = started;
            planned = (long) (spec.durationNanos() / (1e9 / spec.rate()));
            schedule = new Schedule(1e9 / spec.rate(), planned);
            timerId = vertx.setPeriodic(1, id -> tick());
        }

        void tick() {
            long now = System.nanoTime();
            if (now - lastProgress >= TimeUnit.SECONDS.toNanos(10)) {
                lastProgress = now;
                progress.accept(String.format(java.util.Locale.ROOT, "%d s: %d sent, %d ok, %d expected errors, "
                                + "%d unexpected, %d in flight", TimeUnit.NANOSECONDS.toSeconds(now - started),
                        schedule.sent(), ok, expected, unexpected, outstanding));
            }
            if (!draining && abort.getAsBoolean()) {
                schedule.stop();
            }
            if (draining) {
                return;
            }
            if (schedule.sendDue(this::send)) {
                draining = true;
                long drain = abort.getAsBoolean() ? TimeUnit.SECONDS.toNanos(5) : spec.drainNanos();
                vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(drain)), id -> finish());
                if (outstanding == 0) {
                    finish();
                }
            }
        }

        void send(long i) {
            long intended = schedule.intended(i);
            boolean stream = mix.nextInt(100) < spec.streamPercent();
            String id = "soak-" + i;
            RequestOptions options = spec.dest().options(stream, spec.idleTimeoutMs()).putHeader(FaultLog.HEADER, id);
            outstanding++;
            if (stream) {
                streams++;
                sendStream(options, id, intended);
            } else {
                whole++;
                client.request(options).compose(req -> req.send(wholeBody))
                        .compose(resp -> readCapped(resp, SOAK_BODY_CAP))
                        .onComplete(ar -> {
                            Capped c = ar.succeeded() ? ar.result() : new Capped(0, null, false,
                                    SoakOutcome.describe(ar.cause()));
                            SoakOutcome.Verdict v = SoakOutcome.whole(c.failure(), c.status(), c.body(), c.truncated(),
                                    lastFault.apply(id));
                            if (v.kind() == SoakOutcome.Kind.OK) {
                                Stats.record(wholeLatency, System.nanoTime() - intended);
                            }
                            ended(v);
                        });
            }
        }

        void sendStream(RequestOptions options, String id, long intended) {
            client.request(options).compose(req -> req.send(streamBody)).onComplete(ar -> {
                if (ar.failed()) {
                    ended(SoakOutcome.stream(SoakOutcome.describe(ar.cause()), 0, null, 0, spec.expectedChunks(), false,
                            false, lastFault.apply(id)));
                    return;
                }
                HttpClientResponse resp = ar.result();
                if (resp.statusCode() != 200) {
                    readCapped(resp, SOAK_BODY_CAP).onComplete(c -> ended(SoakOutcome.stream(null, resp.statusCode(),
                            c.result().body(), 0, spec.expectedChunks(), false, false, lastFault.apply(id))));
                    return;
                }
                OneStream s = new OneStream();
                boolean[] over = new boolean[1];
                java.util.function.Consumer<String> finish = failure -> {
                    if (over[0]) {
                        return;
                    }
                    over[0] = true;
                    SoakOutcome.Verdict v = SoakOutcome.stream(failure, 200, null, s.chunks, spec.expectedChunks(),
                            s.sawDone, s.sawError, lastFault.apply(id));
                    if (v.kind() == SoakOutcome.Kind.OK) {
                        Stats.record(streamTtft, s.first - intended);
                        Stats.record(streamTotal, System.nanoTime() - intended);
                    }
                    ended(v);
                };
                resp.handler(b -> {
                    if (over[0]) {
                        return;
                    }
                    s.feed(b);
                    if (s.splitter.pending() > SOAK_BODY_CAP) {
                        finish.accept("one event over the client's cap");
                        resp.request().connection().close();
                    }
                });
                resp.exceptionHandler(t -> finish.accept(SoakOutcome.describe(t)));
                resp.endHandler(v -> finish.accept(null));
            });
        }

        void ended(SoakOutcome.Verdict v) {
            outstanding--;
            if (finished) {
                return;
            }
            switch (v.kind()) {
                case OK -> ok++;
                case EXPECTED -> {
                    expected++;
                    expectedReasons.merge(v.reason(), 1L, Long::sum);
                }
                default -> {
                    unexpected++;
                    unexpectedReasons.merge(v.reason(), 1L, Long::sum);
                }
            }
            if (draining && outstanding == 0) {
                finish();
            }
        }

        void finish() {
            if (finished) {
                return;
            }
            finished = true;
            if (timerId >= 0) {
                vertx.cancelTimer(timerId);
            }
            if (outstanding > 0) {
                unexpected += outstanding;
                unexpectedReasons.merge("unanswered " + TimeUnit.NANOSECONDS.toSeconds(spec.drainNanos())
                        + " s after the last send", outstanding, Long::sum);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            done.complete(new SoakLoad(planned, schedule.sent(), ok, expected, unexpected, whole, streams,
                    unexpectedReasons, expectedReasons, wholeLatency, streamTtft, streamTotal, seconds));
        }
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
