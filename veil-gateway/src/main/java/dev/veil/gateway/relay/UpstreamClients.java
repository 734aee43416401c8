package dev.veil.gateway.relay;

import dev.veil.gateway.routing.Upstream;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;

/**
 * One pooled HTTP client per upstream. Requests made from an event loop run their connection on that same loop, so
 * the relay never hops threads.
 */
public final class UpstreamClients implements AutoCloseable {

    private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();
    private final Vertx vertx;

    public UpstreamClients(Vertx vertx, Iterable<Upstream> upstreams) {
        this.vertx = vertx;
        for (Upstream upstream : upstreams) {
            add(upstream);
        }
    }

    /** Adds the client of an upstream that appeared after start (a node that joined). */
    public void add(Upstream upstream) {
        HttpClientOptions options = new HttpClientOptions()
                .setTcpNoDelay(true)
                .setKeepAlive(true)
                // Idle pooled connections each hold buffers; after a burst of streams they must not pin the heap
                // for the default 60 s.
                .setKeepAliveTimeout(15)
                .setSsl(upstream.ssl())
                // The TCP (and TLS) connect: its failure is the upstream's (ConnectException).
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, upstream.connectTimeoutMs()))
                .setDecompressionSupported(false);
        // A bounded queue: past it a request is refused at once (upstream_busy) rather than piling up in memory.
        PoolOptions pool = new PoolOptions().setHttp1MaxSize(upstream.maxConnections())
                .setMaxWaitQueueSize(upstream.maxWaitQueue());
        HttpClient previous = clients.put(upstream.name(), vertx.createHttpClient(options, pool));
        if (previous != null) {
            previous.close();
        }
    }

    /** Closes and forgets an upstream's client (a node that left). */
    public void remove(String upstreamName) {
        HttpClient client = clients.remove(upstreamName);
        if (client != null) {
            client.close();
        }
    }

    /** The client for the named upstream. */
    public HttpClient get(String upstreamName) {
        HttpClient client = clients.get(upstreamName);
        if (client == null) {
            throw new IllegalStateException("no client for upstream " + upstreamName);
        }
        return client;
    }

    @Override
    public void close() {
        clients.values().forEach(HttpClient::close);
    }
}
