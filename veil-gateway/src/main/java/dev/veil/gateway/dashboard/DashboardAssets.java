package dev.veil.gateway.dashboard;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The dashboard's files (HTML, ES modules, CSS, the vendored Chart.js), read once from the classpath at start: only the
 * files {@code files.txt} lists are served, so no request path ever reaches the file system or the class loader.
 * Every answer carries a strict Content-Security-Policy: scripts, styles and connections from Veil's own origin only,
 * no inline script or style, no framing.
 */
final class DashboardAssets {

    static final String ROOT = "dev/veil/gateway/ui/";
    /** The policy of every dashboard answer. */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /** One file: its bytes and content type. */
    record Asset(Buffer body, String contentType) {
    }

    private final Map<String, Asset> byPath;

    private DashboardAssets(Map<String, Asset> byPath) {
        this.byPath = byPath;
    }

    /** Reads every file {@code files.txt} names. */
    static DashboardAssets load() {
        Map<String, Asset> files = new HashMap<>();
        for (String name : read("files.txt").toString(StandardCharsets.UTF_8).lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList()) {
            files.put("/ui/" + name, new Asset(read(name), contentType(name)));
        }
        Asset index = files.get("/ui/index.html");
        if (index == null) {
            throw new IllegalStateException("the dashboard's index.html is missing from the classpath");
        }
        files.put("/ui", index);
        files.put("/ui/", index);
        return new DashboardAssets(Map.copyOf(files));
    }

    /** The file at this request path, or {@code null}. */
    Asset find(String path) {
        return byPath.get(path);
    }

    /** Sends a file (its headers only for HEAD). */
    void send(HttpServerResponse response, boolean headOnly, Asset asset) {
        response.setStatusCode(200).putHeader("content-type", asset.contentType())
                // Revalidated on every load, so a new gateway version never runs with an old module.
                .putHeader("cache-control", "no-cache");
        if (headOnly) {
            response.putHeader("content-length", Integer.toString(asset.body().length())).end();
        } else {
            response.end(asset.body());
        }
    }

    /** Headers every dashboard answer carries. */
    static void secureHeaders(HttpServerResponse response) {
        response.putHeader("content-security-policy", CSP)
                .putHeader("x-content-type-options", "nosniff")
                .putHeader("referrer-policy", "no-referrer")
                .putHeader("x-frame-options", "DENY")
                .putHeader("cross-origin-opener-policy", "same-origin")
                .putHeader("cross-origin-resource-policy", "same-origin");
    }

    private static String contentType(String name) {
        if (name.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        if (name.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        }
        if (name.endsWith(".css")) {
            return "text/css; charset=utf-8";
        }
        if (name.endsWith(".svg")) {
            return "image/svg+xml";
        }
        if (name.endsWith(".png")) {
            return "image/png";
        }
        return "text/plain; charset=utf-8";
    }

    private static Buffer read(String name) {
        try (InputStream in = DashboardAssets.class.getClassLoader().getResourceAsStream(ROOT + name)) {
            if (in == null) {
                throw new IllegalStateException("dashboard file " + name + " is missing from the classpath");
            }
            return Buffer.buffer(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("dashboard file " + name + " could not be read", e);
        }
    }
}
