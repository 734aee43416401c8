package dev.veil.gateway.http;

import io.vertx.core.http.HttpHeaders;

/**
 * Header names Veil sets on every request and response, created once as optimized ASCII strings so Vert.x neither
 * re-validates nor re-hashes them per request (measured on the hot path).
 */
public final class HeaderNames {

    public static final CharSequence CONTENT_TYPE = HttpHeaders.createOptimized("content-type");
    public static final CharSequence ACCEPT = HttpHeaders.createOptimized("accept");
    public static final CharSequence AUTHORIZATION = HttpHeaders.createOptimized("authorization");
    public static final CharSequence CACHE_CONTROL = HttpHeaders.createOptimized("cache-control");
    public static final CharSequence REQUEST_ID = HttpHeaders.createOptimized("x-request-id");
    public static final CharSequence VEIL_ROUTE = HttpHeaders.createOptimized("x-veil-route");
    public static final CharSequence VEIL_MODE = HttpHeaders.createOptimized("x-veil-privacy-mode");
    public static final CharSequence VEIL_RECEIPT = HttpHeaders.createOptimized("x-veil-receipt");
    public static final CharSequence VEIL_RECEIPT_SIGNATURE = HttpHeaders.createOptimized("x-veil-receipt-signature");
    /** The request header asking for a signed receipt ({@code true}). */
    public static final CharSequence VEIL_SIGN_RECEIPT = HttpHeaders.createOptimized(
            dev.veil.protocol.receipt.GatewayReceipt.SIGN_REQUEST_HEADER);
    /** {@code false} on every answer of an endpoint with a {@code store} field: the provider was told not to keep it. */
    public static final CharSequence VEIL_STORE = HttpHeaders.createOptimized("x-veil-store");
    public static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");

    private HeaderNames() {
    }
}
