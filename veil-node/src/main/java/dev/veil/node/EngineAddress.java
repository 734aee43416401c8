package dev.veil.node;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where the local inference engine listens, parsed from its OpenAI base URL. The engine receives decrypted requests in
 * clear, so by default only a loopback address is accepted: a name or address elsewhere would carry plaintext out of
 * the TEE. The check is made on the URL as written, without DNS, so a name cannot resolve to loopback now and to
 * something else later; {@code localhost} is the one name trusted.
 *
 * @param host     the host to connect to
 * @param port     the port
 * @param ssl      whether to use TLS
 * @param basePath the path prefix before {@code /chat/completions} etc., without a trailing slash (e.g. {@code /v1})
 */
record EngineAddress(String host, int port, boolean ssl, String basePath) {

    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

    /**
     * Parses and checks an engine base URL.
     *
     * @param allowRemote whether a non-loopback host is allowed
     * @throws IllegalArgumentException when the URL is not an http(s) URL, or names a remote host without
     *                                  {@code allowRemote}
     */
    static EngineAddress parse(String baseUrl, boolean allowRemote) {
        URI uri;
        try {
            uri = new URI(baseUrl.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("the engine URL is not a URL: " + baseUrl);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("the engine URL must be http:// or https://, e.g. http://127.0.0.1:8000/v1");
        }
        String host = uri.getHost();
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("the engine URL has no host: " + baseUrl);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (!allowRemote && !isLoopback(host)) {
            throw new IllegalArgumentException("the engine URL names " + host + ", which is not a loopback address; "
                    + "decrypted requests must not leave the TEE. Run the engine on localhost, or set allowRemoteEngine "
                    + "(--allow-remote-engine) if the engine runs inside the same trust boundary.");
        }
        boolean ssl = scheme.equals("https");
        int port = uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80;
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return new EngineAddress(host, port, ssl, path);
    }

    /** Whether {@code host} (as written, no DNS) is a loopback address. */
    static boolean isLoopback(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.equals("localhost") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")) {
            return true;
        }
        var m = IPV4.matcher(h);
        if (!m.matches()) {
            return false;
        }
        for (int i = 1; i <= 4; i++) {
            if (Integer.parseInt(m.group(i)) > 255) {
                return false;
            }
        }
        return m.group(1).equals("127");
    }

    /** The engine URI for a node path such as {@code /v1/chat/completions}. */
    String uriFor(String nodePath) {
        // The node's paths all start with /v1; the engine's base URL already names its own version prefix.
        return basePath + nodePath.substring("/v1".length());
    }
}
