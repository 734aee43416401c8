package dev.veil.gateway.relay;

import dev.veil.gateway.routing.Upstream;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.util.HashMap;
import java.util.Map;

/**
 * One pooled HTTP client per upstream. Requests made from an event loop run their connection on that same loop, so
 * the relay never hops threads.
 */
public final class UpstreamClients implements AutoCloseable {

    private final Map<String, HttpClient> clients = new HashMap<>();

    public UpstreamClients(Vertx vertx, Iterable<Upstream> upstreams) {
        for (Upstream upstream : upstreams) {
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
            clients.put(upstream.name(), vertx.createHttpClient(options, pool));
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
