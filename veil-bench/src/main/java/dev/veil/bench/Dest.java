package dev.veil.bench;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.Map;

/**
 * Where the load generator sends chat completions: a host, port and path, plus the headers that target needs
 * (a Veil API key, Portkey's provider headers).
 */
public record Dest(String name, String host, int port, String path, Map<String, String> headers) {

    public Dest {
        headers = Map.copyOf(headers);
    }

    /** Request options for one POST of a JSON body; {@code stream} sets the accept header. */
    public RequestOptions options(boolean stream, long idleTimeoutMs) {
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost(host).setPort(port).setURI(path)
                .setIdleTimeout(idleTimeoutMs)
                .putHeader("content-type", "application/json")
                .putHeader("accept", stream ? "text/event-stream" : "application/json");
        headers.forEach(o::putHeader);
        return o;
    }

    /** The same destination at another path (e.g. {@code /v1/responses}). */
    public Dest at(String otherPath) {
        return new Dest(name, host, port, otherPath, headers);
    }

    public String url() {
        return "http://" + host + ":" + port + path;
    }
}
