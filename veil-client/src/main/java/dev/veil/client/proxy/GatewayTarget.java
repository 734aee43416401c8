package dev.veil.client.proxy;

import java.net.URI;

/**
 * Where the gateway is: host, port, TLS and base path (without {@code /v1}). One parser for every tool given a gateway
 * URL ({@code veil proxy}, {@code veil log}).
 */
public record GatewayTarget(String origin, String host, int port, boolean ssl, String basePath) {

    /**
     * Parses {@code https://gateway.example[:port][/path][/v1]}.
     *
     * @throws IllegalArgumentException naming what is wrong, when it is not an http(s) URL with a host
     */
    public static GatewayTarget parse(String url) {
        String base = url.trim();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        if (base.endsWith("/v1")) {
            base = base.substring(0, base.length() - 3);
        }
        URI uri;
        try {
            uri = URI.create(base);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the gateway URL is not a URL: use e.g. https://gateway.example");
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException("the gateway URL must be http(s)://host[:port], e.g. https://gateway.example");
        }
        boolean ssl = scheme.equals("https");
        int port = uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80;
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        return new GatewayTarget(base, uri.getHost(), port, ssl, path);
    }
}
